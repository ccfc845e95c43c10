import { describe, expect, it } from 'vitest';
import { buildSandboxArgv, SANDBOX_ENV, type SandboxSpec, sandboxUserDatabase } from './sandbox-argv.js';

const spec: SandboxSpec = {
  commands: { bwrap: '/usr/bin/bwrap', setpriv: '/usr/bin/setpriv', prlimit: '/usr/bin/prlimit' },
  uid: 470001,
  gid: 470001,
  maxProcesses: 64,
  network: 'none',
  home: '/var/lib/colibri/jails/acme/home/agent',
  etcDir: '/var/lib/colibri/jails/acme/etc',
  socketDir: '/var/lib/colibri/jails/acme/sock',
  readOnly: ['/tmp/runtime'],
  systemDirs: [{ path: '/bin', symlinkTo: 'usr/bin' }, { path: '/lib64' }],
  statusFd: 3,
  seccompFd: 4,
  tmpfsSizeBytes: 64 * 1024 * 1024,
  command: ['/usr/bin/node', '/tmp/runtime/bin/run.js', 'run-agent'],
};

describe('buildSandboxArgv', () => {
  it('limits processes, drops to the jail uid, then runs bwrap unprivileged', () => {
    const { file, args } = buildSandboxArgv(spec);
    expect(file).toBe('/usr/bin/prlimit');
    expect(args.slice(0, 3)).toEqual(['--nproc=64:64', '--core=0:0', '--']);
    const setpriv = args.indexOf('/usr/bin/setpriv');
    const bwrap = args.indexOf('/usr/bin/bwrap');
    expect(setpriv).toBe(3);
    expect(bwrap).toBeGreaterThan(setpriv);
    expect(args.slice(setpriv + 1, bwrap)).toEqual([
      '--reuid=470001',
      '--regid=470001',
      '--clear-groups',
      '--no-new-privs',
      '--inh-caps=-all',
      '--bounding-set=-all',
      '--',
    ]);
    // bwrap is never asked to switch uid itself (as root that would still be host root).
    expect(args).not.toContain('--uid');
    expect(args).not.toContain('--gid');
    for (const flag of [
      '--unshare-all',
      '--unshare-user',
      '--disable-userns',
      '--die-with-parent',
      '--new-session',
      '--clearenv',
    ]) {
      expect(args).toContain(flag);
    }
    expect(args).not.toContain('--share-net');
    expect(args.slice(-4)).toEqual(['--', '/usr/bin/node', '/tmp/runtime/bin/run.js', 'run-agent']);
  });

  it('mounts /tmp before the binds so a runtime under /tmp stays visible', () => {
    const { args } = buildSandboxArgv(spec);
    const tmpfs = args.indexOf('--tmpfs');
    const runtimeBind = args.findIndex(
      (arg, index) => arg === '/tmp/runtime' && args[index - 1] === '--ro-bind',
    );
    expect(tmpfs).toBeGreaterThan(0);
    expect(runtimeBind).toBeGreaterThan(tmpfs);
  });

  it('binds the home, the socket dir and the user database where the design says', () => {
    const { args } = buildSandboxArgv(spec);
    const pairs = args.map((arg, index) => `${arg} ${args[index + 1]} ${args[index + 2]}`);
    expect(pairs).toContain('--bind /var/lib/colibri/jails/acme/home/agent /home/agent');
    expect(pairs).toContain('--bind /var/lib/colibri/jails/acme/sock /run/colibri');
    expect(pairs).toContain('--ro-bind /var/lib/colibri/jails/acme/etc/passwd /etc/passwd');
    expect(pairs).toContain('--ro-bind /usr /usr');
    expect(pairs).toContain('--symlink usr/bin /bin');
    expect(pairs).toContain('--ro-bind /lib64 /lib64');
    expect(pairs).toContain('--json-status-fd 3 --seccomp');
    expect(pairs).toContain('--seccomp 4 --');
  });

  it('caps every writable tmpfs and remounts the rest of the sandbox root read-only, after every mount', () => {
    const { args } = buildSandboxArgv(spec);
    const pairs = args.map((arg, index) => `${arg} ${args[index + 1]} ${args[index + 2]} ${args[index + 3]}`);
    expect(pairs).toContain(`--size ${64 * 1024 * 1024} --tmpfs /tmp`);
    expect(pairs).toContain(`--size ${64 * 1024 * 1024} --tmpfs /dev/shm`);
    // Every --tmpfs has a --size right before it.
    args.forEach((arg, index) => {
      if (arg === '--tmpfs') expect(args[index - 2]).toBe('--size');
    });
    const lastMount = Math.max(
      ...args.map((arg, index) =>
        ['--bind', '--ro-bind', '--tmpfs', '--symlink'].includes(arg) ? index : -1,
      ),
    );
    expect(args.indexOf('--remount-ro')).toBeGreaterThan(lastMount);
    expect(pairs).toContain('--remount-ro /dev --remount-ro /');
  });

  it('sets exactly the sandbox environment', () => {
    const { args } = buildSandboxArgv(spec);
    const set: Record<string, string> = {};
    args.forEach((arg, index) => {
      if (arg === '--setenv') set[args[index + 1] ?? ''] = args[index + 2] ?? '';
    });
    expect(set).toEqual(SANDBOX_ENV);
    expect(Object.keys(set).sort()).toEqual(['HOME', 'LANG', 'PATH']);
  });

  it("shares the host network only with network: 'host'", () => {
    expect(buildSandboxArgv({ ...spec, network: 'host' }).args).toContain('--share-net');
  });

  it('generates a user database with root and the agent, no login shell', () => {
    const { passwd, group } = sandboxUserDatabase(470001, 470001);
    expect(passwd).toContain('agent:x:470001:470001:colibri agent:/home/agent:/usr/sbin/nologin');
    expect(group).toBe('root:x:0:\nagent:x:470001:\n');
  });
});
