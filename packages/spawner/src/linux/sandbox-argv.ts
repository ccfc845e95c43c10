import { lstatSync, readlinkSync } from 'node:fs';

/** Where things appear inside every sandbox. */
export const SANDBOX_PATHS = Object.freeze({
  home: '/home/agent',
  /** The per-jail daemon socket's directory; the socket is `<socketDir>/colibri.sock`. */
  socketDir: '/run/colibri',
  socket: '/run/colibri/colibri.sock',
  handlers: '/opt/colibri/handlers',
});

/** The whole environment inside the sandbox: nothing else is passed (bwrap --clearenv). */
export const SANDBOX_ENV: Readonly<Record<string, string>> = Object.freeze({
  HOME: SANDBOX_PATHS.home,
  PATH: '/usr/local/bin:/usr/bin:/bin',
  LANG: 'C.UTF-8',
});

/** /etc files bound read-only when present on the host (resolution, certificates, time zone). */
export const SANDBOX_ETC_FILES = Object.freeze([
  '/etc/ssl',
  '/etc/ca-certificates',
  '/etc/resolv.conf',
  '/etc/hosts',
  '/etc/host.conf',
  '/etc/gai.conf',
  '/etc/nsswitch.conf',
  '/etc/localtime',
  '/etc/ld.so.cache',
]);

/** A top-level system directory and how the host has it: a symlink (usrmerge) or a directory. */
export interface SystemDir {
  readonly path: string;
  readonly symlinkTo?: string;
}

/** How the host lays out /bin, /sbin, /lib, /lib32, /lib64 (symlinks into /usr on merged systems). */
export function hostSystemDirs(): SystemDir[] {
  const dirs: SystemDir[] = [];
  for (const path of ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']) {
    try {
      const stats = lstatSync(path);
      if (stats.isSymbolicLink()) dirs.push({ path, symlinkTo: readlinkSync(path) });
      else if (stats.isDirectory()) dirs.push({ path });
    } catch {
      // Absent on this host.
    }
  }
  return dirs;
}

/** Everything the sandbox argv depends on. Host paths must already be checked by the caller. */
export interface SandboxSpec {
  readonly commands: { readonly bwrap: string; readonly setpriv: string; readonly prlimit: string };
  /** The jail's host uid/gid: the sandbox is launched AS them, never as root. */
  readonly uid: number;
  readonly gid: number;
  /** RLIMIT_NPROC for the uid: processes and threads of the whole jail. */
  readonly maxProcesses: number;
  readonly network: 'none' | 'host';
  /** Host directory bound read-write at /home/agent. */
  readonly home: string;
  /** Host directory holding the generated `passwd` and `group`, bound read-only over /etc/passwd, /etc/group. */
  readonly etcDir?: string;
  /** Host directory of the per-jail daemon socket, bound at /run/colibri. */
  readonly socketDir?: string;
  /** Host paths bound read-only at the same path (the runtime root; node when outside /usr). */
  readonly readOnly?: readonly string[];
  /** Host directory of task handlers, bound read-only at /opt/colibri/handlers. */
  readonly handlersDir?: string;
  /** The host's /bin, /lib… layout ({@link hostSystemDirs}). */
  readonly systemDirs: readonly SystemDir[];
  /** A file descriptor bwrap reports its status on (JSON: child-pid, then exit-code). */
  readonly statusFd?: number;
  /**
   * A file descriptor bwrap reads a seccomp program from (`--seccomp`): the keyring filter
   * ({@link keyringFilter}), fed by whoever spawns the command.
   */
  readonly seccompFd?: number;
  /** The size cap of the sandbox's writable tmpfs mounts (/tmp, /dev/shm), in bytes. */
  readonly tmpfsSizeBytes: number;
  /** The argv run inside, e.g. `['/usr/bin/node', entry, 'run-agent', …]`. */
  readonly command: readonly string[];
}

/**
 * The one sandbox command line, used for the agent, bootstrap's trial run and preflight's probe:
 *
 *   prlimit --nproc=N:N --core=0:0 -- setpriv --reuid=U --regid=G --clear-groups --no-new-privs
 *     --inh-caps=-all --bounding-set=-all -- bwrap --unshare-all --unshare-user --disable-userns
 *     [--share-net] --die-with-parent --new-session --clearenv --cap-drop ALL <mounts> <env> -- command
 *
 * setpriv drops to the jail uid BEFORE bwrap runs, so bwrap builds its sandbox in an unprivileged
 * user namespace: nothing inside is ever host root. RLIMIT_NPROC is per uid and every jail has its
 * own uid, so it limits the jail as a whole. Mount order matters: /tmp's tmpfs comes before the
 * binds, so a bind below /tmp (a runtime in a temp dir) is not hidden by it. The only writable
 * places are the home (a host directory: see the README for its limits) and the size-capped
 * tmpfs mounts /tmp and /dev/shm; `/`, `/etc` and `/dev` are remounted read-only. With
 * `seccompFd` the keyring syscalls are refused ({@link keyringFilter}).
 */
export function buildSandboxArgv(spec: SandboxSpec): { file: string; args: string[] } {
  const bwrap: string[] = [spec.commands.bwrap, '--unshare-all', '--unshare-user', '--disable-userns'];
  if (spec.network === 'host') bwrap.push('--share-net');
  bwrap.push('--die-with-parent', '--new-session', '--clearenv', '--cap-drop', 'ALL');
  bwrap.push('--ro-bind', '/usr', '/usr');
  for (const dir of spec.systemDirs) {
    if (dir.symlinkTo !== undefined) bwrap.push('--symlink', dir.symlinkTo, dir.path);
    else bwrap.push('--ro-bind', dir.path, dir.path);
  }
  for (const file of SANDBOX_ETC_FILES) bwrap.push('--ro-bind-try', file, file);
  if (spec.etcDir !== undefined) {
    bwrap.push(
      '--ro-bind',
      `${spec.etcDir}/passwd`,
      '/etc/passwd',
      '--ro-bind',
      `${spec.etcDir}/group`,
      '/etc/group',
    );
  }
  const size = String(spec.tmpfsSizeBytes);
  bwrap.push('--proc', '/proc', '--dev', '/dev', '--size', size, '--tmpfs', '/dev/shm');
  bwrap.push('--size', size, '--tmpfs', '/tmp');
  for (const path of spec.readOnly ?? []) bwrap.push('--ro-bind', path, path);
  if (spec.handlersDir !== undefined) bwrap.push('--ro-bind', spec.handlersDir, SANDBOX_PATHS.handlers);
  bwrap.push('--bind', spec.home, SANDBOX_PATHS.home);
  if (spec.socketDir !== undefined) bwrap.push('--bind', spec.socketDir, SANDBOX_PATHS.socketDir);
  // Nothing else is scratch space: the root tmpfs bwrap builds (/, /etc, /run…) and /dev's are
  // made read-only once every mount point exists (device nodes stay usable on a read-only mount).
  bwrap.push('--remount-ro', '/dev', '--remount-ro', '/');
  for (const [key, value] of Object.entries(SANDBOX_ENV)) bwrap.push('--setenv', key, value);
  bwrap.push('--chdir', SANDBOX_PATHS.home);
  if (spec.statusFd !== undefined) bwrap.push('--json-status-fd', String(spec.statusFd));
  if (spec.seccompFd !== undefined) bwrap.push('--seccomp', String(spec.seccompFd));
  bwrap.push('--', ...spec.command);

  const args = [
    `--nproc=${spec.maxProcesses}:${spec.maxProcesses}`,
    '--core=0:0',
    '--',
    spec.commands.setpriv,
    `--reuid=${spec.uid}`,
    `--regid=${spec.gid}`,
    '--clear-groups',
    '--no-new-privs',
    '--inh-caps=-all',
    '--bounding-set=-all',
    '--',
    ...bwrap,
  ];
  return { file: spec.commands.prlimit, args };
}

/** The generated /etc/passwd and /etc/group of a jail: root and the agent user, no login shells. */
export function sandboxUserDatabase(uid: number, gid: number): { passwd: string; group: string } {
  return {
    passwd: `root:x:0:0:root:/root:/usr/sbin/nologin\nagent:x:${uid}:${gid}:colibri agent:${SANDBOX_PATHS.home}:/usr/sbin/nologin\n`,
    group: `root:x:0:\nagent:x:${gid}:\n`,
  };
}
