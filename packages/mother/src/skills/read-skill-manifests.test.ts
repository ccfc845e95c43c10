import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isColibriError } from '@colibri/errors';
import { afterEach, describe, expect, it } from 'vitest';
import { offerSkills, parseSkillManifest, readSkillManifests } from './read-skill-manifests.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function handlersDir(files: Record<string, string>, executables: readonly string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'colibri-skills-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  for (const name of executables) {
    writeFileSync(join(dir, name), '#!/bin/sh\n');
    chmodSync(join(dir, name), 0o755);
  }
  return dir;
}

function failure(run: () => unknown): { message: string; details: Record<string, unknown> } {
  try {
    run();
  } catch (error) {
    if (isColibriError(error, 'COLIBRI_INVALID_INPUT')) return error;
    throw error;
  }
  throw new Error('expected COLIBRI_INVALID_INPUT');
}

describe('parseSkillManifest', () => {
  it('reads YAML and JSON manifests, the name coming from the file', () => {
    expect(
      parseSkillManifest(
        'description: Shoot\nrequiredCapabilities: [screenshot]\ntimeoutSeconds: 30\n',
        'f',
        'shot',
      ),
    ).toEqual({
      name: 'shot',
      description: 'Shoot',
      requiredCapabilities: ['screenshot'],
      timeoutSeconds: 30,
    });
    expect(parseSkillManifest('{"description":"x","requiredCapabilities":[]}', 'f.json', 'x')).toMatchObject({
      name: 'x',
    });
  });

  it('names the file and the field of every mistake', () => {
    expect(
      failure(() => parseSkillManifest('description: x\nrequiredCapabilites: []\n', '/h/a.skill.yaml', 'a')),
    ).toMatchObject({
      message: expect.stringMatching(/^\/h\/a\.skill\.yaml: unknown field "requiredCapabilites"/),
      details: { file: '/h/a.skill.yaml', field: 'requiredCapabilites' },
    });
    expect(
      failure(() => parseSkillManifest('description: x\nrequiredCapabilities: [GPU]\n', 'm', 'a')).message,
    ).toMatch(/^m: requiredCapabilities\.0 a capability tag is lower-case/);
    expect(failure(() => parseSkillManifest('requiredCapabilities: []\n', 'm', 'a')).message).toMatch(
      /description/,
    );
    expect(
      failure(() => parseSkillManifest('name: b\ndescription: x\nrequiredCapabilities: []\n', 'm', 'a'))
        .message,
    ).toMatch(/differs from the file's name "a"/);
    expect(failure(() => parseSkillManifest('description: [\n', 'm', 'a')).message).toMatch(/not valid YAML/);
  });
});

describe('readSkillManifests and offerSkills', () => {
  it("offers a skill only when the handler runs and every required tag is the agent's own", async () => {
    const dir = handlersDir(
      {
        'render.skill.yaml': 'description: Render\nrequiredCapabilities: [image-render]\n',
        'ghost.skill.yaml': 'description: No handler\nrequiredCapabilities: []\n',
        'plain-handler-notes.txt': 'ignored',
      },
      ['render', 'plain'],
    );
    const manifests = await readSkillManifests(dir);
    expect(manifests.map((m) => m.skill.name)).toEqual(['ghost', 'render']);
    const withTag = offerSkills(manifests, ['linux', 'image-render']);
    expect(withTag.map((o) => [o.skill.name, o.offered])).toEqual([
      ['ghost', false],
      ['render', true],
    ]);
    expect(withTag[0]!.reason).toMatch(/not found/);
    const without = offerSkills(manifests, ['linux']);
    expect(without[1]).toMatchObject({
      offered: false,
      missing: ['image-render'],
      reason: 'this agent does not advertise image-render',
    });
  });

  it('a missing handlers directory has no skills; two manifests for one skill are refused', async () => {
    expect(await readSkillManifests('/nonexistent/colibri-handlers')).toEqual([]);
    const dir = handlersDir({
      'a.skill.yaml': 'description: x\nrequiredCapabilities: []\n',
      'a.skill.json': '{"description":"x","requiredCapabilities":[]}',
    });
    await expect(readSkillManifests(dir)).rejects.toThrow(/second manifest for skill "a"/);
  });
});
