import { lstat, mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLinuxDriver } from '../src/linux/linux-driver.js';
import { describeJailDriverContract } from './contract/jail-driver-contract.js';
import {
  builtKeeperEntry,
  completeJson,
  installFixtureRuntime,
  installScriptRuntime,
  makeTempBase,
  readOptional,
  treeSnapshot,
  waitFor,
  waitForNoProcesses,
} from './linux-test-support.js';

describeJailDriverContract('linux (bwrap, real processes)', async () => {
  const { base, cleanup } = await makeTempBase('colibri-linux-contract-');
  const jailRoot = join(base, 'jails');
  const runtime = await installFixtureRuntime(join(base, 'runtime'));
  // A cold cache: the package declares a dependency that was never installed.
  const cold = await installScriptRuntime(join(base, 'cold-runtime'), 'process.exit(0);\n');
  await writeFile(
    join(base, 'cold-runtime', 'package.json'),
    JSON.stringify({ name: 'cold', version: runtime.version, dependencies: { '@oclif/core': '4.14.0' } }),
  );
  const driver = createLinuxDriver({
    jailRoot,
    keeperEntry: await builtKeeperEntry(),
    uidRange: { first: 471_000, last: 471_999 },
    uidClaimDir: join(base, 'uid-claims'),
  });
  return {
    driver,
    runtime,
    brokenRuntime: cold,
    brokenRuntimeMissing: '@oclif/core',
    wrongVersionRuntime: { ...runtime, version: '9.9.9' },
    daemon: { socketPath: join(base, 'colibrid.sock') },
    readHomeFile: (name, file) => readOptional(join(jailRoot, name, 'home', 'agent', file)),
    async statHome(name) {
      const stats = await stat(join(jailRoot, name, 'home', 'agent')).catch(() => undefined);
      return stats === undefined ? undefined : { uid: stats.uid, gid: stats.gid, mode: stats.mode & 0o7777 };
    },
    async plantForeignJail(name) {
      await mkdir(join(jailRoot, name, 'root'), { recursive: true });
      await writeFile(join(jailRoot, name, 'root', 'hand-made'), 'an operator made this jail by hand\n');
    },
    snapshot: () => treeSnapshot(jailRoot),
    cleanup,
  };
});

describe('linux driver: its own regressions', () => {
  let base: string;
  let cleanup: () => Promise<void>;
  let jailRoot: string;
  let keeperEntry: string;
  let driver: ReturnType<typeof createLinuxDriver>;
  let runtime: Awaited<ReturnType<typeof installFixtureRuntime>>;
  const made: string[] = [];
  const create = async (name: string) => {
    made.push(name);
    return driver.create({ name, agentName: name, tenant: name });
  };
  const launch = (name: string) => ({
    agentName: name,
    tenant: name,
    capabilities: null,
    daemon: { socketPath: join(base, 'none.sock') },
  });

  beforeAll(async () => {
    ({ base, cleanup } = await makeTempBase('colibri-linux-driver-'));
    jailRoot = join(base, 'jails');
    keeperEntry = await builtKeeperEntry();
    driver = createLinuxDriver({
      jailRoot,
      keeperEntry,
      uidRange: { first: 473_000, last: 473_999 },
      uidClaimDir: join(base, 'uid-claims'),
    });
    runtime = await installFixtureRuntime(join(base, 'runtime'));
  });
  afterAll(async () => {
    for (const name of made) await driver?.destroy(name).catch(() => undefined);
    await cleanup?.();
  });

  it('destroy does not follow a symlink planted in the home', async () => {
    const outside = join(base, 'outside');
    await mkdir(outside);
    await writeFile(join(outside, 'precious'), 'keep me\n');
    const info = await create('plant');
    await symlink(outside, join(info.home, 'escape'));
    await symlink(join(outside, 'precious'), join(info.home, 'escape-file'));
    expect(await driver.destroy('plant')).toBe('destroyed');
    expect(await readFile(join(outside, 'precious'), 'utf8')).toBe('keep me\n');
    expect(await readOptional(join(jailRoot, 'plant', 'jail.json'))).toBeUndefined();
  });

  it('refuses a jail path that is a symlink (COLIBRI_UNSAFE_PATH) and leaves its target alone', async () => {
    const victim = join(base, 'victim');
    await mkdir(victim);
    await writeFile(join(victim, 'jail.json'), '{}');
    await create('decoy');
    await symlink(victim, join(jailRoot, 'linked'));
    for (const call of [
      () => driver.inspect('linked'),
      () => driver.create({ name: 'linked', agentName: 'linked', tenant: 'linked' }),
      () => driver.destroy('linked'),
      () => driver.startAgent('linked', launch('linked')),
    ]) {
      await expect(call()).rejects.toMatchObject({ code: 'COLIBRI_UNSAFE_PATH' });
    }
    await expect(driver.inspect('linked')).rejects.toMatchObject({ code: 'COLIBRI_UNSAFE_PATH' });
    expect(await readFile(join(victim, 'jail.json'), 'utf8')).toBe('{}');
    expect((await lstat(join(jailRoot, 'linked'))).isSymbolicLink()).toBe(true);
  });

  it('undoes a create that fails half-way (no free uid): no directory, no claim', async () => {
    const tight = createLinuxDriver({
      jailRoot,
      keeperEntry,
      uidRange: { first: 473_500, last: 473_501 },
      uidClaimDir: join(base, 'uid-claims'),
    });
    await tight.create({ name: 'tight-one', agentName: 'tight-one', tenant: 'tight-one' });
    made.push('tight-one');
    const before = await treeSnapshot(jailRoot);
    await expect(
      tight.create({ name: 'tight-two', agentName: 'tight-two', tenant: 'tight-two' }),
    ).rejects.toMatchObject({
      code: 'COLIBRI_JAIL_DRIVER_FAILED',
      message: expect.stringContaining('no free uid'),
    });
    expect(await tight.inspect('tight-two')).toEqual({ exists: false });
    expect(await treeSnapshot(jailRoot)).toBe(before);
  });

  it('bootstrap explains a missing runtime, an unreadable one and one that fails to run', async () => {
    await create('boot');
    await expect(
      driver.bootstrap('boot', {
        ...runtime,
        root: join(base, 'gone'),
        entry: join(base, 'gone', 'bin', 'run.js'),
      }),
    ).rejects.toMatchObject({
      code: 'COLIBRI_RUNTIME_UNAVAILABLE',
      message: expect.stringContaining(`install colibri ${runtime.version} at ${join(base, 'gone')}`),
    });

    const hidden = await installFixtureRuntime(join(base, 'hidden', 'runtime'));
    const { chmod } = await import('node:fs/promises');
    await chmod(join(base, 'hidden'), 0o700);
    await expect(driver.bootstrap('boot', hidden)).rejects.toMatchObject({
      code: 'COLIBRI_RUNTIME_UNAVAILABLE',
      message: expect.stringMatching(
        /not readable by uid \d+: .*hidden is mode 0700; put it under a world-readable path/,
      ),
    });

    const crashing = await installScriptRuntime(
      join(base, 'crashing'),
      "console.error('boom: cannot load @oclif/core'); process.exit(3);\n",
    );
    await expect(driver.bootstrap('boot', crashing)).rejects.toMatchObject({
      code: 'COLIBRI_RUNTIME_UNAVAILABLE',
      message: expect.stringMatching(
        /--version` failed in jail boot as uid \d+ \(exit 3\): boom: cannot load @oclif\/core/,
      ),
    });
    expect(await driver.inspect('boot')).toMatchObject({ exists: true, info: { runtimeVersion: null } });
  });

  it('starts the agent with a clean environment and nothing secret on the keeper', async () => {
    const info = await create('clean');
    await driver.bootstrap('clean', runtime);
    process.env.BW_SESSION = 'linux-canary-session';
    try {
      expect(await driver.startAgent('clean', launch('clean'))).toBe('started');
    } finally {
      delete process.env.BW_SESSION;
    }
    const started = await waitFor(
      'started.json',
      completeJson(() => readOptional(join(info.home, 'started.json'))),
    );
    expect(started.envKeys.filter((key: string) => key !== 'PWD')).toEqual(['HOME', 'LANG', 'PATH']);
    expect(started.argv).toEqual([
      'run-agent',
      '--name',
      'clean',
      '--tenant',
      'clean',
      '--socket',
      '/run/colibri/colibri.sock',
      '--json',
    ]);
    const keeperPid = Number(await readFile(join(jailRoot, 'clean', 'run', 'keeper.pid'), 'utf8'));
    const environ = (await readFile(`/proc/${keeperPid}/environ`, 'utf8')).split('\0').filter(Boolean);
    expect(environ.map((entry) => entry.split('=')[0]).sort()).toEqual(['LANG', 'PATH']);
    const launchRecord = await readFile(join(jailRoot, 'clean', 'run', 'launch.json'), 'utf8');
    expect(launchRecord).not.toContain('canary');
    expect((await stat(join(jailRoot, 'clean', 'run', 'launch.json'))).mode & 0o777).toBe(0o600);
    await waitFor(
      'the agent log',
      async () =>
        ((await readOptional(driver.agentLogPath('clean'))) ?? '').includes('fixture run-agent started') ||
        undefined,
    );
    expect(driver.agentLogPath('clean')).toBe(join(jailRoot, 'clean', 'run', 'agent.log'));
    expect(await driver.stopAgent('clean')).toBe('stopped');
  });

  it('binds a handlers directory read-only at /opt/colibri/handlers and passes --handlers', async () => {
    const handlers = join(base, 'handlers');
    await mkdir(handlers, { mode: 0o755 });
    await writeFile(join(handlers, 'echo'), '#!/bin/sh\ncat\n', { mode: 0o755 });
    const lister = await installScriptRuntime(
      join(base, 'lister'),
      `import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
if (process.argv[2] === '--version') { console.log('colibri/' + version); process.exit(0); }
let writable = true;
try { writeFileSync('/opt/colibri/handlers/planted', 'x'); } catch { writable = false; }
writeFileSync(process.env.HOME + '/handlers.json', JSON.stringify({ argv: process.argv.slice(2), handlers: readdirSync('/opt/colibri/handlers'), writable }));
setInterval(() => {}, 1 << 30);
process.on('SIGTERM', () => process.exit(0));
`,
    );
    const info = await create('handlers');
    await driver.bootstrap('handlers', lister);
    await driver.startAgent('handlers', {
      ...launch('handlers'),
      capabilities: ['linux', 'media'],
      handlersDir: handlers,
    });
    const seen = await waitFor(
      'handlers.json',
      completeJson(() => readOptional(join(info.home, 'handlers.json'))),
    );
    expect(seen).toEqual({
      argv: [
        'run-agent',
        '--name',
        'handlers',
        '--tenant',
        'handlers',
        '--capabilities',
        'linux,media',
        '--socket',
        '/run/colibri/colibri.sock',
        '--handlers',
        '/opt/colibri/handlers',
        '--json',
      ],
      handlers: ['echo'],
      writable: false,
    });
    expect(await readOptional(join(handlers, 'planted'))).toBeUndefined();
    expect(await driver.stopAgent('handlers')).toBe('stopped');
  });

  it('delivers a stop that comes right after the start (the agent may not be forked yet)', async () => {
    const warnings: string[] = [];
    const watched = createLinuxDriver({
      jailRoot,
      keeperEntry,
      logger: { info() {}, warn: (_fields, message) => warnings.push(message) },
    });
    const info = await create('quick');
    await watched.bootstrap('quick', runtime);
    for (let round = 0; round < 3; round += 1) {
      expect(await watched.startAgent('quick', launch('quick'))).toBe('started');
      // Generous grace: a lost SIGTERM would show up as the SIGKILL warning below.
      expect(await watched.stopAgent('quick', { graceMs: 40_000 })).toBe('stopped');
      await waitForNoProcesses(info.owner.uid);
    }
    expect(warnings).toEqual([]);
  });

  it('refuses to start an agent other than the one the jail was made for', async () => {
    await create('owned');
    await driver.bootstrap('owned', runtime);
    await expect(
      driver.startAgent('owned', { ...launch('owned'), agentName: 'someone-else' }),
    ).rejects.toMatchObject({
      code: 'COLIBRI_INVALID_INPUT',
      message: expect.stringContaining('was created for agent owned'),
    });
    await expect(
      driver.startAgent('owned', { ...launch('owned'), daemon: { url: 'https://hive:7878' } }),
    ).rejects.toMatchObject({
      code: 'COLIBRI_INVALID_INPUT',
    });
    expect(await driver.inspect('owned')).toMatchObject({ agent: 'stopped' });
  });

  it('reports a sandbox that cannot start as COLIBRI_SPAWN_FAILED with the logs, leaving nothing running', async () => {
    await create('broken');
    await driver.bootstrap('broken', runtime);
    const failing = createLinuxDriver({ jailRoot, keeperEntry, commands: { bwrap: '/usr/bin/false' } });
    await expect(failing.startAgent('broken', launch('broken'))).rejects.toMatchObject({
      code: 'COLIBRI_SPAWN_FAILED',
      message: expect.stringContaining('before it started'),
    });
    expect(await driver.inspect('broken')).toMatchObject({ agent: 'stopped' });
    expect(await readOptional(join(jailRoot, 'broken', 'run', 'keeper.pid'))).toBeUndefined();
    // The real driver starts it fine afterwards.
    expect(await driver.startAgent('broken', launch('broken'))).toBe('started');
    expect(await driver.stopAgent('broken')).toBe('stopped');
  });

  it('kills an agent that ignores SIGTERM once the grace time is over', async () => {
    const stubborn = await installScriptRuntime(
      join(base, 'stubborn'),
      `import { readFileSync, writeFileSync } from 'node:fs';
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
if (process.argv[2] === '--version') { console.log('colibri/' + version); process.exit(0); }
process.on('SIGTERM', () => writeFileSync(process.env.HOME + '/ignored-sigterm', 'yes'));
writeFileSync(process.env.HOME + '/started.json', '{}');
setInterval(() => {}, 1 << 30);
`,
    );
    const info = await create('stubborn');
    await driver.bootstrap('stubborn', stubborn);
    await driver.startAgent('stubborn', launch('stubborn'));
    await waitFor('started.json', () => readOptional(join(info.home, 'started.json')));
    expect(await driver.stopAgent('stubborn', { graceMs: 300 })).toBe('stopped');
    expect(await readOptional(join(info.home, 'ignored-sigterm'))).toBe('yes');
    await waitForNoProcesses(info.owner.uid);
    expect(await driver.inspect('stubborn')).toMatchObject({ agent: 'stopped' });
  });

  it("runs bootstrap's --version in the jail again only when the runtime's files change (or never, with verifiedTtlMs 0)", async () => {
    // Each --version run leaves a mark in the home of the jail it ran in.
    const counted = await installScriptRuntime(
      join(base, 'counted'),
      `import { appendFileSync, readFileSync } from 'node:fs';
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
if (process.argv[2] === '--version') { appendFileSync(process.env.HOME + '/version-runs', 'x'); console.log('colibri/' + version); process.exit(0); }
`,
    );
    const runs = async (name: string) =>
      (await readOptional(join(jailRoot, name, 'home', 'agent', 'version-runs'))) ?? '';
    await create('count-a');
    await create('count-b');
    await create('count-c');
    await create('count-d');
    await driver.bootstrap('count-a', counted);
    expect(await runs('count-a')).toBe('x');
    // Another jail, the same runtime and host: trusted, not run again; the record is as complete.
    expect(await driver.bootstrap('count-b', counted)).toMatchObject({ runtimeVersion: counted.version });
    expect(await runs('count-b')).toBe('');
    // The entry rewritten (same text): run again.
    const script = await readFile(counted.entry, 'utf8');
    await writeFile(counted.entry, script);
    await driver.bootstrap('count-c', counted);
    expect(await runs('count-c')).toBe('x');
    // A driver that trusts nothing runs it every time.
    const always = createLinuxDriver({
      jailRoot,
      keeperEntry,
      uidRange: { first: 473_000, last: 473_999 },
      uidClaimDir: join(base, 'uid-claims'),
      verifiedTtlMs: 0,
    });
    await always.bootstrap('count-d', counted);
    expect(await runs('count-d')).toBe('x');
    // A failing runtime is never remembered as passed.
    const crashing = await installScriptRuntime(join(base, 'crashing-twice'), 'process.exit(3);\n');
    for (let attempt = 0; attempt < 2; attempt++) {
      await expect(driver.bootstrap('count-d', crashing)).rejects.toMatchObject({
        code: 'COLIBRI_RUNTIME_UNAVAILABLE',
      });
    }
  });

  it("checks and starts the runtime's light agent entry instead of the CLI when it has one", async () => {
    // The CLI entry fails for everything: only the light entry may be run.
    const light = await installScriptRuntime(
      join(base, 'light'),
      "console.error('the CLI entry ran'); process.exit(3);\n",
    );
    const agentEntry = join(base, 'light', 'dist', 'agent.js');
    await mkdir(dirname(agentEntry), { mode: 0o755 });
    await writeFile(
      agentEntry,
      `import { readFileSync, writeFileSync } from 'node:fs';
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
if (process.argv[2] === '--version') { console.log('colibri/' + version); process.exit(0); }
writeFileSync(process.env.HOME + '/light.json', JSON.stringify({ entry: process.argv[1], argv: process.argv.slice(2) }));
setInterval(() => {}, 1 << 30);
process.on('SIGTERM', () => process.exit(0));
`,
      { mode: 0o644 },
    );
    const info = await create('light');
    await expect(
      driver.bootstrap('light', { ...light, agentEntry: join(base, 'light', 'dist', 'gone.js') }),
    ).rejects.toMatchObject({
      code: 'COLIBRI_RUNTIME_UNAVAILABLE',
      message: expect.stringContaining('agent entry'),
    });
    await expect(
      driver.bootstrap('light', { ...light, agentEntry: join(base, 'lister', 'bin', 'run.js') }),
    ).rejects.toMatchObject({
      code: 'COLIBRI_RUNTIME_UNAVAILABLE',
      message: expect.stringContaining('is not inside the runtime root'),
    });
    expect(await driver.inspect('light')).toMatchObject({ info: { runtimeVersion: null } });
    await driver.bootstrap('light', { ...light, agentEntry });
    await driver.startAgent('light', launch('light'));
    const seen = await waitFor(
      'light.json',
      completeJson(() => readOptional(join(info.home, 'light.json'))),
    );
    expect(seen).toEqual({
      entry: agentEntry,
      argv: [
        'run-agent',
        '--name',
        'light',
        '--tenant',
        'light',
        '--socket',
        '/run/colibri/colibri.sock',
        '--json',
      ],
    });
    expect(await driver.stopAgent('light')).toBe('stopped');
  });
});

describe('linux driver: preflight', () => {
  it('passes as root, and reports a missing bwrap with a fix while still running every other check', async () => {
    const { base, cleanup } = await makeTempBase('colibri-linux-preflight-');
    try {
      const jailRoot = join(base, 'jails');
      const good = await createLinuxDriver({ jailRoot }).preflight();
      expect(good.checks.filter((check) => !check.ok)).toEqual([]);
      expect(good.checks.map((check) => check.name)).toEqual([
        'root',
        'cap-setuid',
        'cap-setgid',
        'cap-sys-admin',
        'bwrap',
        'setpriv',
        'prlimit',
        'node',
        'jail-root',
        'userns',
        'keyring-filter',
        'trial-sandbox',
      ]);
      expect(good.facts).toMatchObject({
        bwrapVersion: expect.stringMatching(/^\d+\.\d+/),
        cgroup: expect.stringMatching(/^v[12]$/),
        tmpfsSize: '64 MiB',
      });
      // The trial left nothing behind but the (created) root and the record that it passed.
      expect(await treeSnapshot(jailRoot)).toMatch(/^\. d 711 0:0 \n\.verified-runs\.json f 600 0:0 \d+$/);
      expect(good.checks.at(-1)?.detail).toMatch(/^a sandbox ran node as uid \d+$/);
      // Again on the same host: the passed trial is trusted, every other check runs.
      const again = await createLinuxDriver({ jailRoot }).preflight();
      expect(again.ok).toBe(true);
      expect(again.checks.at(-1)?.detail).toMatch(/^a sandbox ran node as uid \d+ \(at .*not run again/);
      // Other settings (or no trust at all): it runs.
      for (const options of [{ tmpfsSizeBytes: 32 * 1024 * 1024 }, { verifiedTtlMs: 0 }]) {
        const fresh = await createLinuxDriver({ jailRoot, ...options }).preflight();
        expect(fresh.checks.at(-1)).toMatchObject({
          ok: true,
          detail: expect.stringMatching(/^a sandbox ran node as uid \d+$/),
        });
      }

      const bad = await createLinuxDriver({
        jailRoot,
        commands: { bwrap: join(base, 'no-bwrap') },
      }).preflight();
      expect(bad.ok).toBe(false);
      const byName = Object.fromEntries(bad.checks.map((check) => [check.name, check]));
      expect(byName.bwrap).toMatchObject({
        ok: false,
        detail: expect.stringContaining('no-bwrap'),
        fix: expect.stringContaining('bubblewrap'),
      });
      expect(byName['trial-sandbox']).toMatchObject({
        ok: false,
        detail: expect.stringContaining('bwrap/setpriv/prlimit'),
      });
      for (const name of ['root', 'cap-setuid', 'setpriv', 'prlimit', 'jail-root', 'userns'])
        expect(byName[name]?.ok).toBe(true);
    } finally {
      await cleanup();
    }
  });

  it('fails the root check (and the capability checks) when not run as root', async () => {
    const { base, cleanup } = await makeTempBase('colibri-linux-preflight-user-');
    try {
      const script = join(base, 'preflight.mjs');
      const distIndex = new URL('../dist/index.js', import.meta.url).href;
      await writeFile(
        script,
        `const { createLinuxDriver } = await import(${JSON.stringify(distIndex)});
const report = await createLinuxDriver({ jailRoot: ${JSON.stringify(join(base, 'jails'))} }).preflight();
process.stdout.write(JSON.stringify(report));
`,
        { mode: 0o644 },
      );
      const { runCommand } = await import('../src/run-command.js');
      const result = await runCommand('/usr/bin/setpriv', [
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        process.execPath,
        script,
      ]);
      expect(result.stderr).toBe('');
      const report = JSON.parse(result.stdout) as {
        ok: boolean;
        checks: Array<{ name: string; ok: boolean; detail: string; fix?: string }>;
      };
      const byName = Object.fromEntries(report.checks.map((check) => [check.name, check]));
      expect(report.ok).toBe(false);
      expect(byName.root).toMatchObject({
        ok: false,
        detail: 'euid 65534',
        fix: expect.stringContaining('root'),
      });
      expect(byName['cap-setuid']).toMatchObject({ ok: false, detail: 'CapEff lacks CAP_SETUID' });
      expect(byName['trial-sandbox']).toMatchObject({ ok: false, detail: expect.stringContaining('root') });
      expect(byName.bwrap?.ok).toBe(true);
    } finally {
      await cleanup();
    }
  });
});
