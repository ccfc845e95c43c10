/**
 * The bastille driver's own regression tests, against the fake Bastille: the traps of
 * JAIL-FACTS.md (prefix matching, exit-0 errors, version flags, `cp`, secrets in argv) and the
 * preflight's reports. The contract suite (bastille-contract.test.ts) covers the shared behaviour.
 */
import { chown, lstat, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isColibriError } from '@colibri/errors';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { createBastilleDriver } from '../src/bastille/bastille-driver.js';
import type { BastilleDriverOptions } from '../src/bastille/bastille-driver-options.js';
import type { JailDriver } from '../src/jail-driver.js';
import {
  FIXTURE_ENTRY,
  FIXTURE_VERSION,
  writeFixtureRuntimePackages,
} from './fake-bastille/fake-packages.js';
import {
  type FakeBastille,
  type FakeBastilleVersion,
  type InstallFakeBastilleOptions,
  installFakeBastille,
} from './fake-bastille/install-fake-bastille.js';

const fakes: FakeBastille[] = [];
afterEach(async () => {
  for (const fake of fakes.splice(0)) await fake.cleanup();
});

interface World {
  fake: FakeBastille;
  driver: JailDriver;
  runtime: {
    version: string;
    entry: string;
    packageCache: string;
    packages: Array<{ name: string; version: string }>;
  };
}

async function world(
  version: FakeBastilleVersion = '1.4.4',
  fakeOptions: Partial<InstallFakeBastilleOptions> = {},
  driverOptions: Partial<BastilleDriverOptions> = {},
): Promise<World> {
  const fake = await installFakeBastille({ version, ...fakeOptions });
  fakes.push(fake);
  const packageCache = join(fake.root, 'package-cache');
  const packages = await writeFixtureRuntimePackages(packageCache);
  let host = 10;
  const driver = createBastilleDriver({
    prefix: fake.prefix,
    release: '14.3-RELEASE',
    address: () => {
      host += 1;
      return `10.17.89.${host}`;
    },
    commands: fake.commands,
    ...driverOptions,
  });
  return {
    fake,
    driver,
    runtime: { version: FIXTURE_VERSION, entry: FIXTURE_ENTRY, packageCache, packages },
  };
}

const spec = (name: string) => ({ name, agentName: `${name}-agent`, tenant: name });
const launch = (
  name: string,
  daemon: { url?: string; socketPath?: string } = { url: 'http://10.17.89.1:9190' },
) => ({
  agentName: `${name}-agent`,
  tenant: name,
  capabilities: ['freebsd'],
  daemon,
});

async function failure(
  promise: Promise<unknown>,
): Promise<{ code: string; message: string; details: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    if (!isColibriError(error)) throw error;
    return { code: error.code, message: error.message, details: { ...error.details } };
  }
  throw new Error('expected the call to fail, it succeeded');
}

async function fakeCli(fake: FakeBastille, ...args: string[]) {
  return execa(fake.commands.bastille, args, { reject: false, extendEnv: false });
}

async function listed(fake: FakeBastille): Promise<string[]> {
  return String((await fakeCli(fake, 'list', 'jails')).stdout)
    .split('\n')
    .filter(Boolean);
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

async function waitForFile(path: string): Promise<string> {
  for (let attempt = 0; attempt < 450; attempt += 1) {
    try {
      const text = await readFile(path, 'utf8');
      JSON.parse(text); // every file waited for is a JSON report: a partial one is read again
      return text;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`gave up waiting for ${path}`);
}

describe('bastille driver: the prefix trap', () => {
  it('never issues a command that Bastille would resolve to agent12 when agent1 is absent', async () => {
    const { fake, driver } = await world('1.4.4');
    await driver.create(spec('agent12'));
    const before = fake.calls().length;

    expect(await driver.inspect('agent1')).toEqual({ exists: false });
    expect(await driver.destroy('agent1')).toBe('absent');
    expect((await failure(driver.startAgent('agent1', launch('agent1')))).code).toBe(
      'COLIBRI_JAIL_NOT_FOUND',
    );
    expect((await failure(driver.stopAgent('agent1'))).code).toBe('COLIBRI_JAIL_NOT_FOUND');
    expect(
      (
        await failure(
          driver.bootstrap('agent1', {
            version: '1',
            entry: '/x',
            packageCache: '/tmp',
            packages: [{ name: 'x', version: '1' }],
          }),
        )
      ).code,
    ).toBe('COLIBRI_JAIL_NOT_FOUND');

    const issued = fake.calls().slice(before);
    expect(issued.length).toBeGreaterThan(0);
    // Only exact-name listings ran: nothing named agent1 ever reached bastille or jexec.
    expect(
      issued.every((call) => JSON.stringify(call) === JSON.stringify(['bastille', 'list', 'jails'])),
    ).toBe(true);
    expect(await listed(fake)).toEqual(['agent12']);

    // And the trap is real: the same destroy, issued by hand, takes agent12.
    await fakeCli(fake, 'stop', 'agent12');
    await fakeCli(fake, 'destroy', '-y', 'agent1');
    expect(await listed(fake)).toEqual([]);
  });

  it('runs every mutating bastille command on an exact, listed jail name', async () => {
    const { fake, driver, runtime } = await world('1.4.4');
    await driver.create(spec('agent12'));
    await driver.create(spec('agent1'));
    await driver.bootstrap('agent1', runtime);
    await driver.startAgent('agent1', launch('agent1'));
    await driver.destroy('agent1');
    const mutating = fake.mutatingCalls().filter(([tool]) => tool === 'bastille');
    expect(mutating.map((call) => call.slice(1).join(' '))).toEqual([
      'create agent12 14.3-RELEASE 10.17.89.11',
      'create agent1 14.3-RELEASE 10.17.89.12',
      `mount agent1 ${runtime.packageCache} /var/cache/colibri-packages nullfs ro 0 0`,
      'umount agent1 /var/cache/colibri-packages',
      'stop agent1',
      'destroy -y agent1',
    ]);
    expect(await listed(fake)).toEqual(['agent12']);
  });
});

describe('bastille driver: exit-0 errors are caught by verifying the state', () => {
  it('a start that fails silently is COLIBRI_JAIL_DRIVER_FAILED naming the command and what was seen', async () => {
    const { fake, driver, runtime } = await world('1.4.4');
    await driver.create(spec('alpha'));
    await fakeCli(fake, 'stop', 'alpha');
    await fake.setFaults({ start: 'silent' });
    const started = await execa(fake.commands.bastille, ['start', 'alpha'], {
      reject: false,
      extendEnv: false,
    });
    expect(started.exitCode).toBe(0);

    const error = await failure(driver.bootstrap('alpha', runtime));
    expect(error.code).toBe('COLIBRI_JAIL_DRIVER_FAILED');
    expect(error.message).toContain('`bastille start alpha` exited 0');
    expect(error.message).toContain('jail alpha is not running');
    expect((await driver.inspect('alpha')).exists).toBe(true);
  });

  it('a create that exits 0 with the jail stopped is undone: no record, no jail', async () => {
    const { fake, driver } = await world('0.14.0', { faults: { create: 'leave-stopped' } });
    const error = await failure(driver.create(spec('alpha')));
    expect(error.code).toBe('COLIBRI_JAIL_DRIVER_FAILED');
    expect(error.message).toContain('jail alpha is not running');
    expect(error.message).toContain('the half-made jail alpha was destroyed');
    expect(await driver.inspect('alpha')).toEqual({ exists: false });
    expect(await exists(join(fake.prefix, 'jails', 'alpha'))).toBe(false);
  });

  it('a create that fails (`Failed to create jail`) leaves no record and no jail', async () => {
    const { fake, driver } = await world('1.4.4', { faults: { create: 'fail' } });
    const error = await failure(driver.create(spec('alpha')));
    expect(error.code).toBe('COLIBRI_JAIL_DRIVER_FAILED');
    expect(error.message).toContain('exited 1');
    expect(error.message).toContain('Failed to create jail');
    expect(error.message).toContain('no jail alpha is listed');
    expect(await driver.inspect('alpha')).toEqual({ exists: false });
    expect(await exists(join(fake.prefix, 'jails', 'alpha'))).toBe(false);
  });

  it('a stop that fails silently stops destroy before `bastille destroy` runs', async () => {
    const { fake, driver } = await world('1.4.4');
    const info = await driver.create(spec('alpha'));
    await fake.setFaults({ stop: 'silent' });
    const error = await failure(driver.destroy('alpha'));
    expect(error.code).toBe('COLIBRI_JAIL_DRIVER_FAILED');
    expect(error.message).toContain('`bastille stop alpha` exited 0');
    expect(error.message).toContain('jail alpha is still running');
    expect(fake.calls().some(([tool, command]) => tool === 'bastille' && command === 'destroy')).toBe(false);
    expect(await driver.inspect('alpha')).toEqual({ exists: true, info, agent: 'stopped' });
  });

  it('a destroy that exits 0 with the jail still there is COLIBRI_JAIL_DRIVER_FAILED', async () => {
    const { fake, driver } = await world('0.14.0');
    await driver.create(spec('alpha'));
    await fake.setFaults({ destroy: 'silent' });
    const error = await failure(driver.destroy('alpha'));
    expect(error.code).toBe('COLIBRI_JAIL_DRIVER_FAILED');
    expect(error.message).toContain('`bastille destroy alpha` exited 0');
    expect(error.message).toContain('jail alpha is still listed');
  });
});

describe('bastille driver: version differences', () => {
  it.each([
    ['0.14.0', '0.14.20250420', ['destroy', 'alpha']],
    ['1.4.4', '1.4.4', ['destroy', '-y', 'alpha']],
  ] as const)(
    'bastille %s: version recorded, destroy flags chosen from it',
    async (version, printed, destroyCall) => {
      const { fake, driver } = await world(version);
      const report = await driver.preflight();
      expect(report.facts.bastilleVersion).toBe(printed);
      await driver.create(spec('alpha'));
      const record = JSON.parse(await readFile(join(fake.prefix, 'jails', 'alpha', 'colibri.json'), 'utf8'));
      expect(record.bastilleVersion).toBe(printed);
      const before = fake.mutatingCalls().length;
      expect(await driver.destroy('alpha')).toBe('destroyed');
      expect(fake.mutatingCalls().slice(before)).toEqual([
        ['bastille', 'stop', 'alpha'],
        ['bastille', ...destroyCall],
      ]);
    },
  );
});

describe('bastille driver: preflight', () => {
  it('reports every check with facts on a prepared host', async () => {
    const { driver, fake } = await world('1.4.4');
    const report = await driver.preflight();
    expect(report.ok).toBe(true);
    expect(report.checks.map((check) => check.name)).toEqual([
      'root',
      'not-jailed',
      'bastille-present',
      'jexec-present',
      'prefix-mode',
      'release',
    ]);
    expect(report.facts).toMatchObject({
      bastilleVersion: '1.4.4',
      prefix: fake.prefix,
      release: '14.3-RELEASE',
    });
  });

  it('lists each failed check with a fix: prefix not 0750, jailed, release missing, not root', async () => {
    const { fake } = await world('1.4.4', { prefixMode: 0o755, jailed: true, releases: [] });
    const driver = createBastilleDriver(
      { prefix: fake.prefix, release: '14.3-RELEASE', address: () => '10.17.89.2', commands: fake.commands },
      { euid: () => 1001 },
    );
    const report = await driver.preflight();
    expect(report.ok).toBe(false);
    const failed = Object.fromEntries(
      report.checks.filter((check) => !check.ok).map((check) => [check.name, check]),
    );
    expect(Object.keys(failed).sort()).toEqual([
      'bastille-present',
      'not-jailed',
      'prefix-mode',
      'release',
      'root',
    ]);
    expect(failed.root).toMatchObject({ detail: 'euid 1001' });
    expect(failed['not-jailed']?.detail).toContain('security.jail.jailed = 1');
    expect(failed['prefix-mode']?.detail).toContain('mode 0755');
    expect(failed['prefix-mode']?.fix).toContain(`chmod 0750 ${fake.prefix}`);
    // Bastille itself refuses the insecure prefix, --version included: reported, not hidden.
    expect(failed['bastille-present']?.detail).toContain('Insecure permissions');
    expect(failed.release?.fix).toBe('bastille bootstrap 14.3-RELEASE');
    for (const check of Object.values(failed)) expect(check.fix).toMatch(/\S/);
    expect(report.checks.find((check) => check.name === 'jexec-present')?.ok).toBe(true);
  });

  it('says how to install bastille when it is missing, and changes nothing', async () => {
    const { fake } = await world('1.4.4');
    const driver = createBastilleDriver({
      prefix: fake.prefix,
      release: '14.3-RELEASE',
      address: () => '10.17.89.2',
      commands: { ...fake.commands, bastille: join(fake.root, 'no-such-bastille') },
    });
    const report = await driver.preflight();
    const check = report.checks.find((c) => c.name === 'bastille-present');
    expect(check).toMatchObject({ ok: false, fix: expect.stringContaining('pkg install bastille') });
    expect(report.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['bastille-present']);
    expect(fake.mutatingCalls()).toEqual([]);
  });
});

describe('bastille driver: secrets and the jail boundary', () => {
  it('never calls `bastille cp` and never puts a secret on argv through a whole life', async () => {
    const { fake, driver, runtime } = await world('1.4.4');
    const info = await driver.create(spec('alpha'));
    await driver.bootstrap('alpha', runtime);
    // The join chain's vault writer puts .env into the home from the host; simulate it.
    const envFile = join(info.home, '.env');
    await writeFile(envFile, 'COLIBRI_JOIN_TOKEN=cjt_s3cret-join-token\nAPI_KEY=sk-live-s3cret\n', {
      mode: 0o600,
    });
    await chown(envFile, info.owner.uid, info.owner.gid);

    expect(await driver.startAgent('alpha', launch('alpha'))).toBe('started');
    const started = JSON.parse(await waitForFile(join(info.home, 'started.json'))) as {
      argv: string[];
      envKeys: string[];
    };
    expect(started.argv).toEqual([
      'run-agent',
      '--name',
      'alpha-agent',
      '--tenant',
      'alpha',
      '--capabilities',
      'freebsd',
      '--url',
      'http://10.17.89.1:9190/',
    ]);
    // jexec -l's login environment only (the fixture's sh wrapper adds PWD): nothing of the caller's.
    expect(started.envKeys.filter((key) => key !== 'PWD')).toEqual(['HOME', 'PATH', 'SHELL', 'USER']);
    expect(await driver.stopAgent('alpha')).toBe('stopped');
    expect(await driver.destroy('alpha')).toBe('destroyed');

    const calls = fake.calls();
    expect(calls.some(([tool, command]) => tool === 'bastille' && command === 'cp')).toBe(false);
    const argvText = JSON.stringify(calls);
    for (const secret of ['cjt_s3cret-join-token', 'sk-live-s3cret', 'COLIBRI_JOIN_TOKEN', '.env']) {
      expect(argvText).not.toContain(secret);
    }
  });

  it('runs the agent as the jail user under daemon(8) with the handlers mounted read-only', async () => {
    const { fake, driver, runtime } = await world('0.14.0');
    const info = await driver.create(spec('alpha'));
    await driver.bootstrap('alpha', runtime);
    const handlers = join(fake.root, 'handlers');
    await execa('mkdir', ['-p', handlers]);
    await driver.startAgent('alpha', { ...launch('alpha'), handlersDir: handlers });
    const started = JSON.parse(await waitForFile(join(info.home, 'started.json'))) as {
      argv: string[];
      uid: number;
    };
    expect(started.uid).toBe(1001);
    expect(started.argv.slice(-2)).toEqual(['--handlers', '/opt/colibri/handlers']);
    const fstab = await readFile(join(fake.prefix, 'jails', 'alpha', 'fstab'), 'utf8');
    expect(fstab).toContain(`${handlers} ${fake.jailRoot('alpha')}/opt/colibri/handlers nullfs ro 0 0`);
    const daemonCall = fake.calls().find((call) => call.includes('/usr/sbin/daemon'));
    expect(daemonCall?.slice(0, 11)).toEqual([
      'jexec',
      '-l',
      '-U',
      'agent',
      'alpha',
      '/usr/sbin/daemon',
      '-f',
      '-p',
      '/home/agent/.colibri-agent.pid',
      '-o',
      '/home/agent/agent.log',
    ]);
    expect(await readFile(driver.agentLogPath('alpha'), 'utf8')).toContain('fixture run-agent started');
    await driver.destroy('alpha');
  });

  it('refuses a socket-only daemon endpoint with the way out, running nothing', async () => {
    const { fake, driver } = await world('1.4.4');
    await driver.create(spec('alpha'));
    const before = fake.calls().length;
    const error = await failure(
      driver.startAgent('alpha', launch('alpha', { socketPath: '/var/run/colibri.sock' })),
    );
    expect(error.code).toBe('COLIBRI_INVALID_INPUT');
    expect(error.message).toContain('bridge');
    expect(fake.calls().length).toBe(before);
  });

  it('a stale pidfile (agent and daemon killed) reads as stopped, and the agent starts again', async () => {
    const { driver, runtime } = await world('1.4.4');
    const info = await driver.create(spec('alpha'));
    await driver.bootstrap('alpha', runtime);
    await driver.startAgent('alpha', launch('alpha'));
    const first = JSON.parse(await waitForFile(join(info.home, 'started.json'))) as {
      pid: number;
      ppid: number;
    };
    // Like a crash of both: SIGKILL leaves daemon(8)'s pidfile behind, unlocked.
    process.kill(first.ppid, 'SIGKILL');
    process.kill(first.pid, 'SIGKILL');
    const pidfile = join(info.home, '.colibri-agent.pid');
    expect((await readFile(pidfile, 'utf8')).trim()).toBe(String(first.pid));
    let status = await driver.inspect('alpha');
    for (let attempt = 0; attempt < 100 && status.exists && status.agent === 'running'; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = await driver.inspect('alpha');
    }
    expect(status).toMatchObject({ exists: true, agent: 'stopped' });
    expect(await driver.startAgent('alpha', launch('alpha'))).toBe('started');
    let second = first;
    for (let attempt = 0; attempt < 450 && second.pid === first.pid; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      second = JSON.parse(await readFile(join(info.home, 'started.json'), 'utf8')) as typeof first;
    }
    expect(second.pid).not.toBe(first.pid);
    expect(await driver.stopAgent('alpha')).toBe('stopped');
    await driver.destroy('alpha');
  });
});

describe('bastille driver: bootstrap', () => {
  it('a package that lies about its version fails the --version check; the record stays unbootstrapped', async () => {
    const { fake, driver } = await world('1.4.4');
    await driver.create(spec('alpha'));
    const liar = join(fake.root, 'liar-cache');
    const packages = await writeFixtureRuntimePackages(liar, { colibriVersion: '9.9.9' });
    const error = await failure(
      driver.bootstrap('alpha', { version: '9.9.9', entry: FIXTURE_ENTRY, packageCache: liar, packages }),
    );
    expect(error.code).toBe('COLIBRI_RUNTIME_UNAVAILABLE');
    expect(error.message).toContain('9.9.9');
    expect(error.message).toContain(FIXTURE_VERSION);
    const status = await driver.inspect('alpha');
    expect(status.exists && status.info?.runtimeVersion).toBeNull();
    // The package cache was unmounted again.
    expect(await readFile(join(fake.prefix, 'jails', 'alpha', 'fstab'), 'utf8')).not.toContain(
      'colibri-packages',
    );
  });

  it('installs offline from the read-only mounted cache, skipping what is already installed', async () => {
    const { fake, driver, runtime } = await world('1.4.4');
    await driver.create(spec('alpha'));
    expect((await driver.bootstrap('alpha', runtime)).runtimeVersion).toBe(FIXTURE_VERSION);
    const adds = () => fake.calls().filter((call) => call.includes('add')).length;
    expect(adds()).toBe(3);
    expect((await driver.bootstrap('alpha', runtime)).runtimeVersion).toBe(FIXTURE_VERSION);
    expect(adds()).toBe(3);
  });

  it('without the pkg package first, a fresh jail cannot install anything: said clearly', async () => {
    const { driver, runtime } = await world('1.4.4');
    await driver.create(spec('alpha'));
    const error = await failure(
      driver.bootstrap('alpha', {
        ...runtime,
        packages: runtime.packages.filter(({ name }) => name !== 'pkg'),
      }),
    );
    expect(error.code).toBe('COLIBRI_RUNTIME_UNAVAILABLE');
    expect(error.message).toContain('list pkg first');
  });
});
