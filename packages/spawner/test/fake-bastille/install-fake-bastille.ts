/**
 * Installs the fake Bastille (bastille, jexec, sysctl) into a fresh temp directory: small
 * `#!/bin/sh` wrappers with the state dir baked in, a Bastille prefix laid out like the real one
 * (`<prefix>/jails/<NAME>/{jail.conf,fstab,settings.conf,root/}`, bootstrapped releases under
 * `<prefix>/releases/`), and a calls log of every invocation's argv (never the environment).
 *
 * What the fake cannot be on Linux: a jail is a directory, not a kernel object (the running flag,
 * JIDs and jail processes are kept in the state dir), and a jail process is not chrooted — it runs
 * as the jail user's real uid/gid with only CAP_DAC_READ_SEARCH so it can reach its home through
 * the 0750 prefix, and with HOME set to the host path of that home.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  access,
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export type FakeBastilleVersion = '0.14.0' | '1.4.4';

/** Injected failures, each reproducing a documented Bastille behaviour. */
export interface FakeBastilleFaults {
  /** `fail`: the start inside create fails, create removes the jail and exits 1 (`Failed to create jail`); `leave-stopped`: exit 0, jail created but not running. */
  readonly create?: 'fail' | 'leave-stopped';
  /** `silent`: `start` prints an error and exits 0 with the jail still stopped. */
  readonly start?: 'silent';
  /** `silent`: `stop` prints an error and exits 0 with the jail still running. */
  readonly stop?: 'silent';
  /** `silent`: `destroy` prints `Failed to destroy jail` and exits 0 with the jail still there. */
  readonly destroy?: 'silent';
}

export interface InstallFakeBastilleOptions {
  readonly version: FakeBastilleVersion;
  /** Mode of the prefix directory (default 0o750, the only mode Bastille accepts). */
  readonly prefixMode?: number;
  /** What `sysctl -n security.jail.jailed` answers (default false: 0). */
  readonly jailed?: boolean;
  /** Releases bootstrapped under `<prefix>/releases/` (default `['14.3-RELEASE']`). */
  readonly releases?: readonly string[];
  readonly faults?: FakeBastilleFaults;
}

export interface FakeBastille {
  /** The temp directory holding everything below; removed by cleanup(). */
  readonly root: string;
  readonly binDir: string;
  /** The Bastille prefix (`bastille_prefix`): `<prefix>/jails`, `<prefix>/releases`. */
  readonly prefix: string;
  readonly stateDir: string;
  /** Absolute paths of the wrappers, for the driver's `commands` option. */
  readonly commands: { readonly bastille: string; readonly jexec: string; readonly sysctl: string };
  /** Every invocation so far, in order, as `[tool, ...argv]`. */
  calls(): string[][];
  /** The calls that could change something (not list, --version, config get, read-only probes). */
  mutatingCalls(): string[][];
  /** Replaces the injected faults. */
  setFaults(faults: FakeBastilleFaults): Promise<void>;
  /** The host path of a jail's root (`<prefix>/jails/<name>/root`). */
  jailRoot(name: string): string;
  /** A text of everything that could change: the prefix tree, kernel state, mutating calls. */
  snapshot(): Promise<string>;
  /** Kills every process started in a fake jail and removes the temp directory. */
  cleanup(): Promise<void>;
}

const HERE = fileURLToPath(new URL('.', import.meta.url));
const SETPRIV = '/usr/bin/setpriv';
const PRINTED_VERSION: Record<FakeBastilleVersion, string> = { '0.14.0': '0.14.20250420', '1.4.4': '1.4.4' };

function quote(text: string): string {
  if (text.includes("'")) throw new Error(`fake bastille: a path with a quote cannot be baked in: ${text}`);
  return `'${text}'`;
}

export async function installFakeBastille(options: InstallFakeBastilleOptions): Promise<FakeBastille> {
  await access(SETPRIV);
  const root = await mkdtemp(join(tmpdir(), 'colibri-fake-bastille-'));
  await chmod(root, 0o755);
  const binDir = join(root, 'bin');
  const stateDir = join(root, 'state');
  const prefix = join(root, 'bastille');
  await mkdir(binDir);
  // Readable like bastille.conf, so the fake reaches its root check when run by another user.
  await mkdir(stateDir, { mode: 0o755 });
  await mkdir(prefix);
  await chmod(prefix, options.prefixMode ?? 0o750);
  for (const dir of ['jails', 'releases', 'cache', 'logs', 'templates']) await mkdir(join(prefix, dir));
  for (const release of options.releases ?? ['14.3-RELEASE']) {
    await mkdir(join(prefix, 'releases', release, 'etc'), { recursive: true });
    await writeFile(join(prefix, 'releases', release, 'COPYRIGHT'), `FreeBSD ${release} (fake)\n`);
  }

  const config = {
    version: options.version,
    printedVersion: PRINTED_VERSION[options.version],
    prefix,
    jailed: options.jailed ?? false,
    interface: 'bastille0',
    setpriv: SETPRIV,
    faults: options.faults ?? {},
  };
  const configFile = join(stateDir, 'config.json');
  await writeFile(configFile, `${JSON.stringify(config, null, 2)}\n`);
  await writeFile(join(stateDir, 'calls.jsonl'), '');
  // Any user's invocation is logged too (a non-root run must show up in the calls log).
  await chmod(join(stateDir, 'calls.jsonl'), 0o666);

  const commands = {
    bastille: join(binDir, 'bastille'),
    jexec: join(binDir, 'jexec'),
    sysctl: join(binDir, 'sysctl'),
  };
  for (const tool of ['bastille', 'jexec', 'sysctl'] as const) {
    const script = join(HERE, `${tool}.mjs`);
    await writeFile(
      commands[tool],
      `#!/bin/sh\nFAKE_BASTILLE_STATE=${quote(stateDir)} exec ${quote(process.execPath)} ${quote(script)} "$@"\n`,
      { mode: 0o755 },
    );
  }

  const calls = (): string[][] =>
    readFileSync(join(stateDir, 'calls.jsonl'), 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as string[]);

  const fake: FakeBastille = {
    root,
    binDir,
    prefix,
    stateDir,
    commands,
    calls,
    mutatingCalls() {
      return calls().filter(isMutatingCall);
    },
    async setFaults(faults) {
      await writeFile(configFile, `${JSON.stringify({ ...config, faults }, null, 2)}\n`);
    },
    jailRoot(name) {
      return join(prefix, 'jails', name, 'root');
    },
    async snapshot() {
      const tree = await describeTree(prefix);
      const kernel = await describeTree(join(stateDir, 'kernel'));
      const mutating = calls()
        .filter(isMutatingCall)
        .map((call) => JSON.stringify(call));
      return [...tree, '--- kernel', ...kernel, '--- mutating calls', ...mutating].join('\n');
    },
    async cleanup() {
      await killJailProcesses(stateDir);
      await rm(root, { recursive: true, force: true });
    },
  };
  return fake;
}

const READ_ONLY_IN_JAIL = new Set(['true', 'id', 'pgrep', 'test', 'cat']);

/** Whether a logged call could change a jail (everything except listings and read-only probes). */
export function isMutatingCall(call: readonly string[]): boolean {
  const [tool, ...argv] = call;
  if (tool === 'sysctl') return argv.some((arg) => arg.includes('='));
  if (tool === 'bastille') {
    const [command, , action] = argv;
    if (command === undefined || ['--version', '-v', 'version', 'list'].includes(command)) return false;
    return !(command === 'config' && action === 'get');
  }
  if (tool === 'jexec') {
    let i = 0;
    while (i < argv.length && argv[i]?.startsWith('-')) i += argv[i] === '-U' || argv[i] === '-u' ? 2 : 1;
    const [program, ...rest] = argv.slice(i + 1);
    if (program === undefined) return false;
    const base = program.slice(program.lastIndexOf('/') + 1);
    if (READ_ONLY_IN_JAIL.has(base)) return false;
    if (base === 'pkg' && (rest[0] === 'query' || rest[0] === 'info')) return false;
    return !(rest.length === 1 && rest[0] === '--version');
  }
  return true;
}

async function describeTree(top: string): Promise<string[]> {
  const lines: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries: string[];
    try {
      entries = (await readdir(dir)).sort();
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(dir, entry);
      const stat = await lstat(path);
      const head = `${relative(top, path)} ${(stat.mode & 0o7777).toString(8)} ${stat.uid}:${stat.gid}`;
      if (stat.isSymbolicLink()) lines.push(`${head} -> ${await readlink(path)}`);
      else if (stat.isDirectory()) {
        lines.push(`${head} dir`);
        await walk(path);
      } else {
        const digest = createHash('sha256')
          .update(await readFile(path))
          .digest('hex')
          .slice(0, 16);
        lines.push(`${head} ${stat.size} ${digest}`);
      }
    }
  };
  await walk(top);
  return lines;
}

async function killJailProcesses(stateDir: string): Promise<void> {
  const kernel = join(stateDir, 'kernel');
  let jails: string[] = [];
  try {
    jails = await readdir(kernel);
  } catch {
    return;
  }
  for (const jail of jails) {
    let files: string[] = [];
    try {
      files = await readdir(join(kernel, jail, 'procs'));
    } catch {
      continue;
    }
    for (const file of files) {
      try {
        const proc = JSON.parse(await readFile(join(kernel, jail, 'procs', file), 'utf8')) as {
          pid: number;
          supervisor: number;
        };
        for (const pid of [proc.pid, proc.supervisor]) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // gone
          }
        }
      } catch {
        // removed meanwhile
      }
    }
  }
}
