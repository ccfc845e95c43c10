import { execa } from 'execa';
import type { RunProbeCommand } from './probe-environment.js';

// Version banners and `docker info` fit easily; a tool that floods output is cut off, not buffered.
const MAX_OUTPUT_BYTES = 64 * 1024;

/**
 * The real {@link RunProbeCommand}: runs `file` with `args` (no shell) in exactly the environment
 * given (nothing inherited from this process), stdin closed, killed after `timeoutMs` (SIGKILL
 * shortly after if SIGTERM is ignored). Never rejects for a non-zero exit.
 */
export function createProbeCommandRunner(env: Readonly<Record<string, string | undefined>>): RunProbeCommand {
  const childEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) childEnv[key] = value;
  // Stable, untranslated banners to parse.
  childEnv.LC_ALL = 'C';
  return async (file, args, { timeoutMs }) => {
    const result = await execa(file, [...args], {
      env: childEnv,
      extendEnv: false,
      stdin: 'ignore',
      reject: false,
      timeout: timeoutMs,
      forceKillAfterDelay: 500,
      maxBuffer: MAX_OUTPUT_BYTES,
      encoding: 'utf8',
      stripFinalNewline: true,
    });
    if (result.code === 'ENOENT' || result.code === 'EACCES') throw result;
    return {
      exitCode: result.timedOut || result.isTerminated ? null : (result.exitCode ?? null),
      stdout: String(result.stdout ?? ''),
      stderr: String(result.stderr ?? ''),
    };
  };
}
