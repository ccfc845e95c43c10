import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { findExecutable, findExecutables } from './find-executable.js';
import type { AbsentTag, ProbedTag, ProbeEnvironment, RunResult } from './probe-environment.js';
import { createProbeCommandRunner } from './run-probe-command.js';

const DEFAULT_TIMEOUT_MS = 5000;

/** What each category probe may do: look up tools, run them safely, look at files. */
export interface ProbeContext {
  readonly platform: NodeJS.Platform;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The first `name` on PATH, or undefined. */
  which(name: string): Promise<string | undefined>;
  /** Every executable on PATH whose name matches `pattern` (first occurrence per name). */
  whichAll(pattern: RegExp): Promise<string[]>;
  /** Runs `file`; a command that cannot start, or the runner throwing, yields undefined. */
  run(file: string, args: readonly string[]): Promise<RunResult | undefined>;
  /** `absolute` moved under the probe's root (`/dev/zfs` → `<root>/dev/zfs`). */
  rooted(absolute: string): string;
  /** What kind of file `path` is, without following a final symlink; undefined when absent. */
  kind(path: string): Promise<'file' | 'directory' | 'socket' | 'char-device' | 'other' | undefined>;
  /** The names in a directory, or [] when it cannot be read. */
  list(dir: string): Promise<string[]>;
}

/** The outcome of one category probe. */
export interface ProbeOutcome {
  readonly found: ProbedTag[];
  readonly absent: AbsentTag[];
}

/** A category probe: looks, never throws for something missing. */
export type CategoryProbe = (context: ProbeContext) => Promise<ProbeOutcome>;

/** Builds the {@link ProbeContext} for `environment`. */
export function createProbeContext(environment: ProbeEnvironment): ProbeContext {
  const run = environment.run ?? createProbeCommandRunner(environment.env);
  const timeoutMs = environment.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const path = environment.env.PATH;
  return {
    platform: environment.platform,
    env: environment.env,
    which: (name) => findExecutable(name, path),
    whichAll: (pattern) => findExecutables(pattern, path),
    async run(file, args) {
      try {
        return await run(file, args, { timeoutMs });
      } catch {
        return undefined;
      }
    },
    rooted: (absolute) => join(environment.root, absolute),
    async kind(target) {
      try {
        const stats = await lstat(target);
        if (stats.isFile()) return 'file';
        if (stats.isDirectory()) return 'directory';
        if (stats.isSocket()) return 'socket';
        if (stats.isCharacterDevice()) return 'char-device';
        return 'other';
      } catch {
        return undefined;
      }
    },
    async list(dir) {
      try {
        return (await readdir(dir)).sort();
      } catch {
        return [];
      }
    },
  };
}

/** One line of a command's output for evidence: trimmed and capped, so a chatty tool cannot flood a log. */
export function firstLine(text: string): string {
  const line = (text.split('\n').find((l) => l.trim() !== '') ?? '').trim();
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}

/** The last non-blank line (where a traceback says what went wrong), trimmed and capped. */
export function lastLine(text: string): string {
  const line = (
    text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .at(-1) ?? ''
  ).trim();
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}

/** How a command ended, for people: `exit 1: <first stderr line>` or `timed out`. */
export function describeFailure(result: RunResult | undefined): string {
  if (result === undefined) return 'could not be started';
  if (result.exitCode === null) return 'timed out or was killed';
  // The last stderr line is where tools (and Python tracebacks) say what went wrong.
  const detail = lastLine(result.stderr) || firstLine(result.stdout);
  return detail === '' ? `exited ${result.exitCode}` : `exited ${result.exitCode}: ${detail}`;
}
