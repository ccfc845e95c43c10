import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ColibriError, isColibriError } from '@colibri/errors';
import { DEFAULT_SPAWN_POLICY } from '@colibri/spawn-policy';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ResolveIdentityOptions, resolveIdentity } from './resolve-identity.js';

let dir: string;
const HOME = '/home/agent';
const COLIBRI_HOME = '/var/lib/colibri';

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'colibri-identity-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function layer(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const options = (overrides: Partial<ResolveIdentityOptions> = {}): ResolveIdentityOptions => ({
  directory: dir,
  flags: {},
  defaults: { home: HOME, colibriHome: COLIBRI_HOME },
  cwd: '/work',
  ...overrides,
});

async function failure(resolveOptions: ResolveIdentityOptions): Promise<ColibriError> {
  const error = await resolveIdentity(resolveOptions).catch((caught: unknown) => caught);
  if (!isColibriError(error, 'COLIBRI_IDENTITY_INVALID'))
    throw new Error(`expected COLIBRI_IDENTITY_INVALID, got ${String(error)}`);
  return error;
}

describe('resolveIdentity: layering', () => {
  it('defaults and flags only, when there is no directory', async () => {
    const { identity, origins } = await resolveIdentity(
      options({ directory: null, flags: { name: 'solo' } }),
    );
    expect(identity).toEqual({
      name: 'solo',
      tenant: null,
      role: 'worker',
      capabilities: null,
      forceCapabilities: [],
      handlersDir: '/home/agent/handlers',
      daemon: { socketPath: '/var/lib/colibri/colibri.sock' },
      slots: 1,
      envFile: '/home/agent/.env',
      stateDir: '/home/agent/.colibri/agents/solo',
      heartbeatSeconds: 10,
      spawnPolicy: DEFAULT_SPAWN_POLICY,
    });
    expect(origins.name).toEqual({ layer: 'flag' });
    expect(origins.tenant).toEqual({ layer: 'default' });
    expect(Object.isFrozen(identity)).toBe(true);
  });

  it('image < host < tenant < agent < flags, field by field, each origin named', async () => {
    const image = layer(
      'image.yaml',
      'name: from-image\nrole: image-role\nslots: 1\nheartbeatSeconds: 20\nhandlersDir: /usr/local/libexec/colibri\n',
    );
    const host = layer('host.yml', 'role: host-role\nslots: 2\ndaemon:\n  url: http://100.64.0.1:9190/\n');
    const tenant = layer(
      'tenant.json',
      JSON.stringify({ tenant: 'acme', slots: 3, capabilities: ['linux'] }),
    );
    const agent = layer('agent.yaml', 'name: acme-worker\nslots: 4\n');
    const { identity, origins } = await resolveIdentity(options({ flags: { slots: 5 } }));
    expect(identity).toMatchObject({
      name: 'acme-worker',
      role: 'host-role',
      tenant: 'acme',
      capabilities: ['linux'],
      slots: 5,
      heartbeatSeconds: 20,
      handlersDir: '/usr/local/libexec/colibri',
      daemon: { url: 'http://100.64.0.1:9190' },
      stateDir: '/home/agent/.colibri/agents/acme-worker',
    });
    expect(origins).toEqual({
      name: { layer: 'agent', file: agent },
      tenant: { layer: 'tenant', file: tenant },
      role: { layer: 'host', file: host },
      capabilities: { layer: 'tenant', file: tenant },
      forceCapabilities: { layer: 'default' },
      handlersDir: { layer: 'image', file: image },
      daemon: { layer: 'host', file: host },
      slots: { layer: 'flag' },
      envFile: { layer: 'default' },
      stateDir: { layer: 'default' },
      heartbeatSeconds: { layer: 'image', file: image },
      spawnPolicy: { layer: 'default' },
    });
  });

  it('a later layer can set a nullable field back to null (shared lane, probe decides, no .env)', async () => {
    layer('tenant.yaml', 'tenant: acme\ncapabilities: [linux]\nenvFile: ./secrets.env\n');
    layer('agent.yaml', 'name: lane\ntenant: null\ncapabilities: ~\nenvFile: null\n');
    const { identity, origins } = await resolveIdentity(options());
    expect(identity).toMatchObject({ tenant: null, capabilities: null, envFile: null });
    expect(origins.tenant).toEqual({ layer: 'agent', file: join(dir, 'agent.yaml') });
  });

  it('resolves relative paths in a file against that file’s directory, and flag paths against cwd', async () => {
    layer(
      'agent.yaml',
      'name: a\nhandlersDir: handlers\nenvFile: ../secrets/.env\nstateDir: ./state\ndaemon: { socketPath: run/colibri.sock }\n',
    );
    const { identity } = await resolveIdentity(options());
    expect(identity.handlersDir).toBe(join(dir, 'handlers'));
    expect(identity.envFile).toBe(join(dir, '..', 'secrets', '.env'));
    expect(identity.stateDir).toBe(join(dir, 'state'));
    expect(identity.daemon).toEqual({ socketPath: join(dir, 'run', 'colibri.sock') });
    const flagged = await resolveIdentity(options({ flags: { handlersDir: 'h', stateDir: '/abs/state' } }));
    expect(flagged.identity.handlersDir).toBe('/work/h');
    expect(flagged.identity.stateDir).toBe('/abs/state');
  });

  it('a layer’s spawnPolicy replaces lower ones whole; what it leaves out stays forbidden', async () => {
    layer('image.yaml', 'spawnPolicy: { maxChildren: 4, maxDepth: 2, allowedCapabilities: [linux] }\n');
    layer('agent.yaml', 'name: queen\nspawnPolicy:\n  maxChildren: 2\n  allowedTenants: [acme]\n');
    const { identity } = await resolveIdentity(options());
    expect(identity.spawnPolicy).toEqual({
      maxChildren: 2,
      maxDepth: 0,
      allowedTenants: ['acme'],
      allowSharedLane: false,
      allowedCapabilities: [],
    });
  });

  it('ignores other files in the directory; an empty YAML file is an empty layer', async () => {
    layer('README.md', '# not a layer');
    layer('image.yaml', '');
    layer('agent.yaml', 'name: a\n');
    expect((await resolveIdentity(options())).identity.name).toBe('a');
  });

  it('accepts forceCapabilities that are declared', async () => {
    layer('agent.yaml', 'name: a\ncapabilities: [linux, gpu]\nforceCapabilities: [gpu]\n');
    expect((await resolveIdentity(options())).identity.forceCapabilities).toEqual(['gpu']);
  });
});

describe('resolveIdentity: every error names the file and the field', () => {
  it('unknown key, with a suggestion', async () => {
    const file = layer('agent.yaml', 'name: a\nhandlers_dir: ./h\n');
    const error = await failure(options());
    expect(error.message).toBe(
      `${file}: unknown key "handlers_dir" (did you mean handlersDir?); allowed here: name, tenant, role, ` +
        'capabilities, forceCapabilities, handlersDir, daemon, slots, envFile, stateDir, heartbeatSeconds, spawnPolicy',
    );
    expect(error.details).toEqual({ layer: 'agent', file, field: 'handlers_dir', fields: ['handlers_dir'] });
  });

  it('the old key concurrency is refused with its new name, slots', async () => {
    const file = layer('agent.yaml', 'name: a\nconcurrency: 2\n');
    expect((await failure(options())).message).toMatch(
      new RegExp(`^${file}: unknown key "concurrency" \\(did you mean slots\\?\\)`),
    );
  });

  it('unknown nested keys in daemon and spawnPolicy', async () => {
    const file = layer('host.yaml', 'daemon: { socket: /run/colibri.sock }\n');
    expect((await failure(options())).message).toBe(
      `${file}: unknown key "daemon.socket" (did you mean socketPath?); allowed here: socketPath, url`,
    );
    rmSync(file);
    const image = layer('image.json', '{"spawnPolicy": {"max_children": 2}}');
    const error = await failure(options());
    expect(error.message).toContain(
      `${image}: unknown key "spawnPolicy.max_children" (did you mean maxChildren?)`,
    );
    expect(error.details).toMatchObject({ layer: 'image', file: image, field: 'spawnPolicy.max_children' });
  });

  it.each([
    ['name: Acme_Worker\n', 'name', 'name: agent name "Acme_Worker" is not valid'],
    ['name: a\ntenant: all\n', 'tenant', 'tenant: tenant name "all" is reserved'],
    ['name: a\nrole: Queen Bee\n', 'role', 'role: must be a lower-case letter then up to 31 of [a-z0-9-]'],
    [
      'name: a\ncapabilities: [linux, Linux]\n',
      'capabilities',
      'capabilities[1]: "Linux" is not a valid capability tag',
    ],
    ['name: a\ncapabilities: linux\n', 'capabilities', 'capabilities must be a list of tags, got "linux"'],
    ['name: a\nslots: 0\n', 'slots', 'slots: must be at least 1'],
    ['name: a\nslots: 1.5\n', 'slots', 'slots: must be a whole number from 1 to 10000'],
    ['name: a\nheartbeatSeconds: "10"\n', 'heartbeatSeconds', 'heartbeatSeconds: must be a whole number'],
    ['name: a\nhandlersDir: ""\n', 'handlersDir', 'handlersDir: must be a non-empty path'],
    ['name: a\nstateDir: 5\n', 'stateDir', 'stateDir: must be a path (a string)'],
    [
      'name: a\ndaemon: { socketPath: /s, url: "http://h:1" }\n',
      'daemon',
      'daemon: set exactly one of socketPath (a Unix socket) or url (http(s)://host:port)',
    ],
    [
      'name: a\ndaemon: { url: "ftp://h" }\n',
      'daemon.url',
      'daemon.url: must be an http:// or https:// URL, got ftp:',
    ],
    [
      'name: a\ndaemon: { url: "http://u:p@h:1" }\n',
      'daemon.url',
      'daemon.url: must not carry credentials; the agent presents its token in a header',
    ],
    ['name: a\ndaemon: /run/colibri.sock\n', 'daemon', 'daemon: must be a mapping with socketPath or url'],
    [
      'name: a\nspawnPolicy: { maxChildren: -1 }\n',
      'spawnPolicy.maxChildren',
      'spawnPolicy.maxChildren: must be at least 0',
    ],
    [
      'name: a\nspawnPolicy: { allowSharedLane: "yes" }\n',
      'spawnPolicy.allowSharedLane',
      'spawnPolicy.allowSharedLane: must be true or false',
    ],
  ])('%j → field %s', async (text, field, message) => {
    const file = layer('agent.yaml', text);
    const error = await failure(options());
    expect(error.message).toContain(`${file}: ${message}`);
    expect(error.details).toMatchObject({ layer: 'agent', file, field });
  });

  it('lists every bad field of a file at once', async () => {
    const file = layer('agent.yaml', 'name: a\nslots: 0\nheartbeatSeconds: 0\n');
    const error = await failure(options());
    expect(error.message).toBe(`${file}: slots: must be at least 1; heartbeatSeconds: must be at least 1`);
    expect(error.details).toMatchObject({
      field: 'slots',
      fields: ['slots', 'heartbeatSeconds'],
    });
  });

  it('two files for one layer', async () => {
    const yaml = layer('agent.yaml', 'name: a\n');
    const json = layer('agent.json', '{"name": "a"}');
    const error = await failure(options());
    expect(error.message).toBe(`the agent layer has 2 files (${yaml}, ${json}); keep exactly one`);
    expect(error.details).toMatchObject({ layer: 'agent', files: [yaml, json] });
  });

  it('YAML syntax errors and duplicate keys, with the line', async () => {
    const file = layer('host.yaml', 'role: a\nrole: b\n');
    const error = await failure(options());
    expect(error.message).toMatch(new RegExp(`^${file} line 2: not valid YAML: Map keys must be unique`));
    expect(error.details).toEqual({ file, layer: 'host', line: 2 });
    layer('host.yaml', 'daemon: {socketPath: /x\n');
    expect((await failure(options())).message).toContain(`${file} line `);
  });

  it('JSON syntax errors and a top level that is not a mapping', async () => {
    const json = layer('tenant.json', '{"tenant": "acme",}');
    expect((await failure(options())).message).toMatch(new RegExp(`^${json}: not valid JSON: `));
    rmSync(json);
    const yaml = layer('tenant.yaml', '- tenant: acme\n');
    expect((await failure(options())).message).toBe(
      `${yaml}: the top level must be a mapping of identity fields (name: ..., tenant: ...), not a list`,
    );
  });

  it('a layer path that is a directory', async () => {
    mkdirSync(join(dir, 'agent.yaml'));
    expect((await failure(options())).message).toBe(`${join(dir, 'agent.yaml')} is not a regular file`);
  });

  it('a missing identity directory, or a file in its place', async () => {
    expect((await failure(options({ directory: join(dir, 'nope') }))).message).toMatch(
      /identity directory .*nope does not exist: create it with agent.yaml/,
    );
    const file = layer('plain', '');
    expect((await failure(options({ directory: file }))).message).toBe(
      `identity directory ${file} is not a directory`,
    );
  });

  it('no layer sets the name', async () => {
    layer('image.yaml', 'role: worker\n');
    const error = await failure(options({ flagNames: { name: '--name' } }));
    expect(error.message).toBe(
      `no layer sets the agent's name: add \`name: <agent-name>\` to ${join(dir, 'agent.yaml')} or pass --name`,
    );
    expect(error.details).toEqual({ field: 'name' });
  });

  it('forceCapabilities not declared, naming both files', async () => {
    const image = layer('image.yaml', 'forceCapabilities: [gpu]\n');
    const agent = layer('agent.yaml', 'name: a\ncapabilities: [linux]\n');
    const error = await failure(options());
    expect(error.message).toBe(
      `forceCapabilities (set in ${image}) lists gpu, which capabilities (set in ${agent}) does not declare: ` +
        'forced tags must also be declared',
    );
    expect(error.details).toEqual({ field: 'forceCapabilities', layer: 'image', file: image });
  });

  it('forceCapabilities while the probe decides', async () => {
    layer('agent.yaml', 'name: a\nforceCapabilities: [gpu]\n');
    expect((await failure(options())).message).toContain(
      'but capabilities is not declared (the probe decides)',
    );
  });

  it('flag errors name the flag', async () => {
    layer('agent.yaml', 'name: a\n');
    const error = await failure(
      options({
        flags: { handlersDir: '', tenant: 'Acme' },
        flagNames: { handlersDir: '--handlers', tenant: '--tenant' },
      }),
    );
    expect(error.message).toBe(
      'flags: --tenant: tenant name "Acme" is not valid: use a lower-case letter then up to 31 of [a-z0-9-] ' +
        '(no dots, slashes or spaces); --handlers: must be a non-empty path',
    );
    expect(error.details).toEqual({ layer: 'flag', field: 'tenant', fields: ['tenant', 'handlersDir'] });
  });

  it('relative flag paths need a working directory', async () => {
    const { cwd: _cwd, ...withoutCwd } = options({
      flags: { name: 'a', handlersDir: 'h' },
      flagNames: { handlersDir: '--handlers' },
    });
    expect((await failure(withoutCwd)).message).toBe(
      '--handlers "h" is relative and no working directory was given: pass an absolute path',
    );
  });
});
