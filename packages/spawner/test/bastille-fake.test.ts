/**
 * The fake Bastille reproduces the behaviours JAIL-FACTS.md documents — the traps the driver is
 * built around. These tests pin the fake itself (at the CLI level), so a driver test that passes
 * against it passes for the right reason.
 */
import { lstat, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type FakeBastille,
  type FakeBastilleVersion,
  installFakeBastille,
} from './fake-bastille/install-fake-bastille.js';

const fakes: FakeBastille[] = [];
afterEach(async () => {
  for (const fake of fakes.splice(0)) await fake.cleanup();
});

async function install(
  version: FakeBastilleVersion,
  options: { prefixMode?: number; jailed?: boolean } = {},
) {
  const fake = await installFakeBastille({ version, ...options });
  fakes.push(fake);
  return fake;
}

async function run(file: string, args: string[], options: { stdin?: string } = {}) {
  const result = await execa(file, args, {
    reject: false,
    extendEnv: false,
    env: { PATH: '/usr/bin:/bin' },
    input: options.stdin ?? '',
  });
  return { code: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
}

const bastille = (fake: FakeBastille, ...args: string[]) => run(fake.commands.bastille, args);
const jails = async (fake: FakeBastille) =>
  (await bastille(fake, 'list', 'jails')).stdout.split('\n').filter(Boolean);

describe.each(['0.14.0', '1.4.4'] as const)('fake bastille %s', (version) => {
  const modern = version === '1.4.4';
  const destroyFlags = modern ? ['-y'] : [];

  it('creates a jail laid out like Bastille and starts it', async () => {
    const fake = await install(version);
    expect(await bastille(fake, 'create', 'alpha', '14.3-RELEASE', '10.17.89.10')).toMatchObject({ code: 0 });
    expect(await jails(fake)).toEqual(['alpha']);
    const base = join(fake.prefix, 'jails', 'alpha');
    expect(((await lstat(base)).mode & 0o777).toString(8)).toBe('700');
    for (const file of ['jail.conf', 'fstab', 'settings.conf'])
      expect((await lstat(join(base, file))).isFile()).toBe(true);
    expect((await lstat(join(base, 'root'))).isDirectory()).toBe(true);
    expect((await bastille(fake, 'config', 'alpha', 'get', 'ip4.addr')).stdout.trim()).toBe('10.17.89.10');
    expect((await bastille(fake, 'config', 'alpha', 'get', 'vnet')).stdout.trim()).toBe('not set');
    expect((await run(fake.commands.jexec, ['-l', '-U', 'root', 'alpha', '/usr/bin/true'])).code).toBe(0);
  });

  it('resolves a TARGET by unique prefix: `destroy agent1` destroys agent12 when agent1 is absent', async () => {
    const fake = await install(version);
    await bastille(fake, 'create', '--no-boot', 'agent12', '14.3-RELEASE', '10.17.89.12');
    expect(await jails(fake)).toEqual(['agent12']);
    const result = await bastille(fake, 'destroy', ...destroyFlags, 'agent1');
    expect(result.code).toBe(0);
    expect(await jails(fake)).toEqual([]);
  });

  it('refuses an existing name with a version-specific text, exit 1', async () => {
    const fake = await install(version);
    await bastille(fake, 'create', 'alpha', '14.3-RELEASE', '10.17.89.10');
    const again = await bastille(fake, 'create', 'alpha', '14.3-RELEASE', '10.17.89.11');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(
      modern ? '[ERROR]: Jail already exists: alpha' : 'Error: Existing jail found: alpha',
    );
  });

  it('exits 0 on start/stop of a jail already in that state, and on destroy of a running jail', async () => {
    const fake = await install(version);
    await bastille(fake, 'create', 'alpha', '14.3-RELEASE', '10.17.89.10');
    const start = await bastille(fake, 'start', 'alpha');
    expect(start).toMatchObject({ code: 0 });
    expect(start.stderr).toContain('Jail is already running.');
    const destroy = await bastille(fake, 'destroy', ...destroyFlags, 'alpha');
    expect(destroy.code).toBe(0);
    expect(destroy.stderr).toContain('Jail is running.');
    expect(await jails(fake)).toEqual(['alpha']);
    expect((await bastille(fake, 'stop', 'alpha')).code).toBe(0);
    const stopAgain = await bastille(fake, 'stop', 'alpha');
    expect(stopAgain.code).toBe(0);
    expect(stopAgain.stderr).toContain('Jail is already stopped.');
  });

  it('destroy flags differ: 1.x needs -y without a tty, 0.14 rejects -y', async () => {
    const fake = await install(version);
    await bastille(fake, 'create', '--no-boot', 'alpha', '14.3-RELEASE', '10.17.89.10');
    if (modern) {
      expect((await bastille(fake, 'destroy', 'alpha')).code).toBe(1);
      expect(await jails(fake)).toEqual(['alpha']);
      expect((await bastille(fake, 'destroy', '-y', 'alpha')).code).toBe(0);
    } else {
      const refused = await bastille(fake, 'destroy', '-y', 'alpha');
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('Unknown Option');
      expect(await jails(fake)).toEqual(['alpha']);
      expect((await bastille(fake, 'destroy', 'alpha')).code).toBe(0);
    }
    expect(await jails(fake)).toEqual([]);
  });

  it('takes a release-like name as a release: destroy 14.3-RELEASE deletes the base', async () => {
    const fake = await install(version);
    expect((await bastille(fake, 'destroy', ...destroyFlags, '14.3-RELEASE')).code).toBe(0);
    await expect(lstat(join(fake.prefix, 'releases', '14.3-RELEASE'))).rejects.toThrow();
  });

  it('`list -j` is not safe to parse (0.14 emits invalid JSON)', async () => {
    const fake = await install(version);
    await bastille(fake, 'create', 'alpha', '14.3-RELEASE', '10.17.89.10');
    const text = (await bastille(fake, 'list', '-j')).stdout;
    if (modern) expect(JSON.parse(text)).toEqual([{ JID: 1, Name: 'alpha', State: 'Up' }]);
    else expect(() => JSON.parse(text)).toThrow();
  });

  it('`cmd` passes exit codes through in 0.x and fails with a count in 1.x', async () => {
    const fake = await install(version);
    await bastille(fake, 'create', 'alpha', '14.3-RELEASE', '10.17.89.10');
    const failed = await bastille(fake, 'cmd', 'alpha', '/bin/test', '-f', '/nonexistent');
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('[alpha]:');
    if (modern) expect(failed.stderr).toContain('Command failed on 1 jails.');
    expect((await bastille(fake, 'cmd', 'alpha', '/usr/bin/true')).code).toBe(0);
  });

  it('refuses a prefix that is not 0750 for every command, --version included', async () => {
    const fake = await install(version, { prefixMode: 0o755 });
    for (const args of [['--version'], ['list', 'jails']]) {
      const result = await bastille(fake, ...args);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`Insecure permissions on ${fake.prefix}`);
    }
  });

  it('requires root for sub-commands but not for --version', async () => {
    const fake = await install(version);
    const asNobody = (args: string[]) =>
      run('/usr/bin/setpriv', [
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        '--',
        fake.commands.bastille,
        ...args,
      ]);
    const listed = await asNobody(['list', 'jails']);
    expect(listed.code).toBe(1);
    expect(listed.stderr).toContain('Bastille: Permission Denied');
    const printed = await asNobody(['--version']);
    expect(printed.code).toBe(0);
    // 1.x prints its version through `info 1`: on stderr.
    expect(modern ? printed.stderr : printed.stdout).toContain(modern ? '1.4.4' : '0.14.20250420');
  });

  it('`cp` copies host-side and follows a symlink planted inside the jail', async () => {
    const fake = await install(version);
    await bastille(fake, 'create', 'alpha', '14.3-RELEASE', '10.17.89.10');
    const outside = join(fake.root, 'outside.txt');
    await writeFile(outside, 'host file\n');
    await symlink(outside, join(fake.jailRoot('alpha'), 'tmp', 'planted'));
    const source = join(fake.root, 'secret.env');
    await writeFile(source, 'TOKEN=x\n');
    expect((await bastille(fake, 'cp', 'alpha', source, '/tmp/planted')).code).toBe(0);
    expect(await readFile(outside, 'utf8')).toBe('TOKEN=x\n');
  });

  it('jexec takes an exact running jail and a user of the jail', async () => {
    const fake = await install(version);
    await bastille(fake, 'create', 'agent12', '14.3-RELEASE', '10.17.89.12');
    expect((await run(fake.commands.jexec, ['-l', '-U', 'root', 'agent1', '/usr/bin/true'])).code).toBe(1);
    expect((await run(fake.commands.jexec, ['-l', '-U', 'agent', 'agent12', '/usr/bin/true'])).code).toBe(1);
    const add = await run(fake.commands.jexec, [
      '-l',
      '-U',
      'root',
      'agent12',
      '/usr/sbin/pw',
      'useradd',
      '-n',
      'agent',
      '-u',
      '1001',
      '-m',
      '-M',
      '0700',
    ]);
    expect(add.code).toBe(0);
    expect(
      (await run(fake.commands.jexec, ['-l', '-U', 'root', 'agent12', '/usr/bin/id', '-u', 'agent'])).stdout,
    ).toBe('1001');
    const home = await lstat(join(fake.jailRoot('agent12'), 'home', 'agent'));
    expect({ uid: home.uid, mode: (home.mode & 0o777).toString(8) }).toEqual({ uid: 1001, mode: '700' });
    await bastille(fake, 'stop', 'agent12');
    expect((await run(fake.commands.jexec, ['-l', '-U', 'root', 'agent12', '/usr/bin/true'])).code).toBe(1);
  });

  it('answers security.jail.jailed and logs every call', async () => {
    const fake = await install(version, { jailed: true });
    expect((await run(fake.commands.sysctl, ['-n', 'security.jail.jailed'])).stdout).toBe('1');
    expect(fake.calls()).toEqual([['sysctl', '-n', 'security.jail.jailed']]);
  });
});
