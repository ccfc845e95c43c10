import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanEnv, runColibri } from '../testing/colibri-process.test-helper.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'colibri-identity-cli-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const env = (extra: Record<string, string> = {}) =>
  cleanEnv({ HOME: '/home/agent', COLIBRI_HOME: '/var/lib/colibri', ...extra });

describe('colibri identity', () => {
  it('shows each field, its value and its layer; flags win over files', async () => {
    writeFileSync(join(dir, 'image.yaml'), 'handlersDir: /usr/local/libexec/colibri\nslots: 2\n');
    writeFileSync(join(dir, 'agent.yaml'), 'name: acme-worker\ntenant: acme\n');
    const result = await runColibri(
      ['identity', '--identity-dir', dir, '--capabilities', 'linux,media'],
      env(),
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^FIELD +VALUE +FROM$/);
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`^name +acme-worker +agent \\(${dir}/agent.yaml\\)$`)),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^capabilities +linux,media +flag$/));
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`^slots +2 +image \\(${dir}/image.yaml\\)$`)),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^daemon +socket \/var\/lib\/colibri\/colibri.sock +default$/),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^envFile +\/home\/agent\/.env +default$/));
    expect(lines).toHaveLength(13);
  });

  it('--json: the identity and every origin; COLIBRI_IDENTITY_DIR is the default directory; --url sets the daemon', async () => {
    writeFileSync(join(dir, 'agent.json'), JSON.stringify({ name: 'lane', capabilities: null }));
    const result = await runColibri(
      ['identity', '--json', '--url', 'http://100.64.0.1:9190'],
      env({ COLIBRI_IDENTITY_DIR: dir }),
    );
    expect(result.status).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.identity).toMatchObject({
      name: 'lane',
      capabilities: null,
      daemon: { url: 'http://100.64.0.1:9190' },
      stateDir: '/home/agent/.colibri/agents/lane',
    });
    expect(json.origins.name).toEqual({ layer: 'agent', file: join(dir, 'agent.json') });
    expect(json.origins.daemon).toEqual({ layer: 'flag' });
  });

  it('exits 2 naming the file and the field', async () => {
    writeFileSync(join(dir, 'host.yaml'), 'slots: zero\n');
    writeFileSync(join(dir, 'agent.yaml'), 'name: a\n');
    const result = await runColibri(['identity', '--identity-dir', dir], env());
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      `colibri: ${dir}/host.yaml: slots: must be a whole number from 1 to 10000 [COLIBRI_IDENTITY_INVALID]\n`,
    );
    const json = await runColibri(['identity', '--identity-dir', dir, '--json'], env());
    expect(json.status).toBe(2);
    expect(JSON.parse(json.stdout).error).toMatchObject({
      code: 'COLIBRI_IDENTITY_INVALID',
      details: { file: `${dir}/host.yaml`, field: 'slots', layer: 'host' },
    });
  });

  it('exits 2 when nothing names the agent', async () => {
    const result = await runColibri(['identity'], env());
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      "colibri: no layer sets the agent's name: add `name: <agent-name>` to an identity file (agent.yaml) or pass --name [COLIBRI_IDENTITY_INVALID]\n",
    );
  });
});
