import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, readFile, realpath, stat } from 'node:fs/promises';
import { release } from 'node:os';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../atomic-write.js';

/** The file in the jail root R that remembers passed sandbox runs (root 0600; a dot name is never a jail). */
export const VERIFIED_RUNS_FILE = '.verified-runs.json';

/** A fact's value: what the run's outcome depends on, compared exactly. */
export type Facts = Readonly<Record<string, unknown>>;

/**
 * Sandbox runs that passed (preflight's trial sandbox, bootstrap's `--version` in the jail), each
 * remembered with exactly the facts it depended on. Only passed runs are remembered; a run is
 * trusted for `ttlMs` and only while every fact is still the same, so anything that could change
 * its outcome — a reboot, another kernel, a replaced or re-permissioned bwrap, setpriv, prlimit or
 * node, another jail root or runtime file, other settings — runs it again. The file lives in the
 * jail root (root-owned, 0711, checked before use), is written atomically 0600 and is read only
 * when it is a regular file of root's that nobody else can write; anything else is ignored (the
 * runs simply run). A jail uid can neither write it nor change the facts.
 */
export interface VerifiedRuns {
  /** When a run of `kind` with exactly `facts` passed within the TTL (ISO time); undefined otherwise. */
  passed(kind: string, facts: Facts): Promise<string | undefined>;
  /** Remembers that a run of `kind` with `facts` passed now (best effort: a failed write only costs a re-run). */
  remember(kind: string, facts: Facts): Promise<void>;
}

interface Stored {
  readonly format: 1;
  readonly runs: Record<string, { readonly kind: string; readonly at: string }>;
}

/** {@link VerifiedRuns} kept in `<root>/.verified-runs.json`; `ttlMs` 0 remembers nothing. */
export function verifiedRuns(root: string, ttlMs: number, now: () => number = Date.now): VerifiedRuns {
  const keyOf = (kind: string, facts: Facts) =>
    createHash('sha256')
      .update(JSON.stringify({ kind, facts: sorted(facts) }))
      .digest('hex');
  const fresh = (at: string) => {
    const age = now() - Date.parse(at);
    return Number.isFinite(age) && age >= 0 && age < ttlMs;
  };
  return {
    async passed(kind, facts) {
      if (ttlMs === 0) return undefined;
      const run = (await readStored(root))?.runs[keyOf(kind, facts)];
      return run !== undefined && run.kind === kind && fresh(run.at) ? run.at : undefined;
    },
    async remember(kind, facts) {
      if (ttlMs === 0) return;
      const runs: Stored['runs'] = {};
      for (const [key, run] of Object.entries((await readStored(root))?.runs ?? {})) {
        if (fresh(run.at)) runs[key] = run;
      }
      runs[keyOf(kind, facts)] = { kind, at: new Date(now()).toISOString() };
      const stored: Stored = { format: 1, runs };
      await writeFileAtomic(root, VERIFIED_RUNS_FILE, `${JSON.stringify(stored)}\n`, 0o600).catch(
        () => undefined,
      );
    },
  };
}

async function readStored(root: string): Promise<Stored | undefined> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(join(root, VERIFIED_RUNS_FILE), constants.O_RDONLY | constants.O_NOFOLLOW);
    const stats = await handle.stat();
    if (!stats.isFile() || stats.uid !== 0 || (stats.mode & 0o077) !== 0) return undefined;
    const parsed = JSON.parse(await handle.readFile('utf8')) as Partial<Stored> | null;
    if (parsed?.format !== 1 || typeof parsed.runs !== 'object' || parsed.runs === null) return undefined;
    const runs: Stored['runs'] = {};
    for (const [key, run] of Object.entries(parsed.runs)) {
      if (typeof run?.kind === 'string' && typeof run.at === 'string') runs[key] = run;
    }
    return { format: 1, runs };
  } catch {
    return undefined;
  } finally {
    await handle?.close();
  }
}

function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sorted((value as Record<string, unknown>)[key])]),
  );
}

/**
 * A file's (or directory's) identity: its real path and device, inode, mode, owner, size and
 * modification and change times in ns. Replacing, rewriting, chmod-ing or chown-ing it changes it.
 */
export async function fileIdentity(path: string): Promise<string> {
  try {
    const real = await realpath(path);
    const s = await stat(real, { bigint: true });
    return `${real} ${s.dev}:${s.ino} ${s.mode.toString(8)} ${s.uid}:${s.gid} ${s.size} ${s.mtimeNs} ${s.ctimeNs}`;
  } catch (error) {
    return `${path} ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`;
  }
}

/**
 * What a path's reachability by a jail uid depends on: the device, inode, mode and owner of it and
 * of each of its parents (not their times, which change whenever an entry is added beside it).
 */
export async function pathIdentity(path: string): Promise<string[]> {
  const identities: string[] = [];
  for (let current = path; ; current = dirname(current)) {
    try {
      const s = await stat(current, { bigint: true });
      identities.push(`${current} ${s.dev}:${s.ino} ${s.mode.toString(8)} ${s.uid}:${s.gid}`);
    } catch (error) {
      identities.push(`${current} ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`);
    }
    if (dirname(current) === current) return identities;
  }
}

/** This boot (a reboot may change kernel settings no file shows) and the running kernel. */
export async function bootFacts(): Promise<{ boot: string; kernel: string }> {
  const boot = await readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => 'unknown');
  return { boot: boot.trim(), kernel: release() };
}

/** A digest of bytes (the keyring filter the sandbox loads). */
export const digest = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
