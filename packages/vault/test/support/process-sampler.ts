// Watches the real child processes of a test: every few milliseconds it walks /proc, finds every
// descendant of this process and records its argv (world-readable: `ps` shows it to every user)
// and, for bw children, which variables its environment holds. Linux only (/proc).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** One process as first seen after it exec'd `bw.js`. */
export interface SampledBw {
  readonly pid: number;
  /** The descendant of the sampled root this process runs under (the root's direct child on its path). */
  readonly branch: number;
  /** bw's arguments after `bw.js`, e.g. `['list', 'items', '--collectionid', '…', '--nointeraction']`. */
  readonly args: readonly string[];
  /** Names of the variables in its environment (sorted). */
  readonly envNames: readonly string[];
  /** Values of the secret-bearing variables (BW_CLIENTSECRET, BW_PASSWORD, BW_SESSION) it held. */
  readonly secretEnv: Readonly<Record<string, string>>;
  /** What its fd 3 was when first seen (`socket:[inode]` for a socket), or null. */
  readonly fd3: string | null;
  /** Whether any sample saw it hold a listening socket (TCP, TCP6 or Unix). */
  readonly listened: boolean;
}

/** Everything a sampler saw between start and stop. */
export interface ProcessSamples {
  /** argv of every descendant, as seen at each distinct (pid, argv): also the moments before exec. */
  readonly argvs: readonly string[][];
  /** Every bw child, once. */
  readonly bw: readonly SampledBw[];
  /** Per sample that saw at least one live bw child: the branches those children ran under. */
  readonly concurrentBranches: readonly (readonly number[])[];
  /** How many times /proc was walked. */
  readonly ticks: number;
}

export interface ProcessSampler {
  stop(): ProcessSamples;
}

const SECRET_VARIABLES = ['BW_CLIENTSECRET', 'BW_PASSWORD', 'BW_SESSION'] as const;

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return undefined; // the process is gone
  }
}

/** pid → [ppid, state] for every process, from /proc/<pid>/stat (the command name may hold spaces or ')'). */
function processTable(): Map<number, { ppid: number; state: string }> {
  const table = new Map<number, { ppid: number; state: string }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = read(`/proc/${entry}/stat`);
    if (stat === undefined) continue;
    const [state = '', ppid = '0'] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    table.set(Number(entry), { ppid: Number(ppid), state });
  }
  return table;
}

/** Inodes of every listening socket on the host: TCP/TCP6 in state 0A, Unix with __SO_ACCEPTCON. */
function listeningInodes(): Set<string> {
  const inodes = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of (read(file) ?? '').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[3] === '0A' && fields[9] !== undefined) inodes.add(fields[9]);
    }
  }
  for (const line of (read('/proc/net/unix') ?? '').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields[3] === '00010000' && fields[6] !== undefined) inodes.add(fields[6]);
  }
  return inodes;
}

/** The socket inodes a process holds, from its /proc/<pid>/fd links. */
function socketInodes(pid: number): string[] {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  return fds.flatMap((fd) => {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      return match?.[1] === undefined ? [] : [match[1]];
    } catch {
      return [];
    }
  });
}

function fd3Of(pid: number): string | null {
  try {
    return readlinkSync(`/proc/${pid}/fd/3`);
  } catch {
    return null;
  }
}

function environment(pid: number): Map<string, string> {
  const variables = new Map<string, string>();
  for (const entry of (read(`/proc/${pid}/environ`) ?? '').split('\0')) {
    const at = entry.indexOf('=');
    if (at > 0)
      variables.set(entry.slice(0, at), Buffer.from(entry.slice(at + 1), 'latin1').toString('utf8'));
  }
  return variables;
}

/**
 * Starts sampling the descendants of `rootPid` every `intervalMs` (default 20 ms). A bw call lives
 * for seconds, so none is missed; `stop()` returns what was seen.
 */
export function startProcessSampler(rootPid = process.pid, intervalMs = 20): ProcessSampler {
  const argvs = new Map<string, string[]>();
  const bw = new Map<string, SampledBw & { listened: boolean }>();
  const concurrentBranches: number[][] = [];
  let ticks = 0;

  function sample(): void {
    ticks++;
    const table = processTable();
    const children = new Map<number, number[]>();
    for (const [pid, { ppid }] of table) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
    const live = new Set<number>();
    let listening: Set<string> | undefined;
    const queue = (children.get(rootPid) ?? []).map((pid) => ({ pid, branch: pid }));
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const { pid, branch } = next;
      for (const child of children.get(pid) ?? []) queue.push({ pid: child, branch });
      if (table.get(pid)?.state === 'Z') continue; // exited, not yet reaped: no argv left
      const cmdline = read(`/proc/${pid}/cmdline`);
      if (cmdline === undefined || cmdline === '') continue;
      const argv = Buffer.from(cmdline, 'latin1').toString('utf8').replace(/\0$/, '').split('\0');
      argvs.set(`${pid} ${argv.join('\0')}`, argv);
      const entry = argv.findIndex((arg) => arg.endsWith('bw.js'));
      if (entry === -1) continue;
      live.add(branch);
      const key = `${pid} ${argv.join('\0')}`;
      const known = bw.get(key);
      if (known !== undefined) {
        if (!known.listened) {
          listening ??= listeningInodes();
          const held = socketInodes(pid);
          if (held.some((inode) => listening?.has(inode))) known.listened = true;
        }
        continue;
      }
      const env = environment(pid);
      const secretEnv: Record<string, string> = {};
      for (const name of SECRET_VARIABLES) {
        const value = env.get(name);
        if (value !== undefined) secretEnv[name] = value;
      }
      listening ??= listeningInodes();
      const held = socketInodes(pid);
      bw.set(key, {
        pid,
        branch,
        args: argv.slice(entry + 1),
        envNames: [...env.keys()].sort(),
        secretEnv,
        fd3: fd3Of(pid),
        listened: held.some((inode) => listening?.has(inode)),
      });
    }
    if (live.size > 0) concurrentBranches.push([...live].sort((a, b) => a - b));
  }

  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { argvs: [...argvs.values()], bw: [...bw.values()], concurrentBranches, ticks };
    },
  };
}
