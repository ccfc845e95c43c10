import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isColibriError } from '@colibri/errors';
import { DEFAULT_SPAWN_POLICY } from '@colibri/spawn-policy';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSpawnPolicy } from './load-spawn-policy.js';

const dir = mkdtempSync(join(tmpdir(), 'colibrid-policy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function refusal(path: string): Promise<string> {
  try {
    await loadSpawnPolicy(path);
  } catch (error) {
    if (isColibriError(error, 'COLIBRI_INVALID_INPUT')) return error.message;
    throw error;
  }
  throw new Error('expected COLIBRI_INVALID_INPUT');
}

describe('loadSpawnPolicy', () => {
  it('no file: the default policy, which forbids every spawn', async () => {
    expect(await loadSpawnPolicy(undefined)).toBe(DEFAULT_SPAWN_POLICY);
  });

  it('reads YAML and JSON', async () => {
    const yaml = file(
      'policy.yaml',
      'maxChildren: 2\nmaxDepth: 1\nallowedTenants: [acme]\nallowedCapabilities:\n  - linux\n',
    );
    expect(await loadSpawnPolicy(yaml)).toEqual({
      maxChildren: 2,
      maxDepth: 1,
      allowedTenants: ['acme'],
      allowSharedLane: false,
      allowedCapabilities: ['linux'],
    });
    const json = file('policy.json', JSON.stringify({ maxChildren: 1, maxDepth: 1, allowSharedLane: true }));
    expect(await loadSpawnPolicy(json)).toMatchObject({
      maxChildren: 1,
      allowSharedLane: true,
      allowedTenants: [],
    });
  });

  it('names the file and the field for every problem', async () => {
    const missing = join(dir, 'absent.yaml');
    expect(await refusal(missing)).toBe(`--spawn-policy ${missing}: cannot read it (ENOENT): no such file`);
    const badJson = file('bad.json', '{"maxChildren": 1,');
    expect(await refusal(badJson)).toMatch(new RegExp(`^--spawn-policy ${badJson}: not valid JSON`));
    const badYaml = file('bad.yaml', 'maxChildren: [1\n');
    expect(await refusal(badYaml)).toMatch(new RegExp(`^--spawn-policy ${badYaml}: not valid YAML`));
    const wrong = file('wrong.yaml', 'maxChildren: two\nallowedTenant: [acme]\n');
    const message = await refusal(wrong);
    expect(message).toMatch(new RegExp(`^spawn policy ${wrong}: `));
    expect(message).toContain('maxChildren: maxChildren must be a whole number');
    expect(message).toContain('allowedTenant: unknown field');
    expect(await refusal(file('list.yaml', '- acme\n'))).toMatch(/must be a mapping/);
  });
});
