import { spawn } from 'node:child_process';
import type { RunProbeCommand } from './probe-environment.js';

// Version banners and `docker info` fit easily; a tool that floods output is cut off, not buffered.
const MAX_OUTPUT_BYTES = 64 * 1024;
/** After the timeout's SIGTERM, how long a command may take before SIGKILL. */
const FORCE_KILL_AFTER_MS = 500;

const stripFinalNewline = (text: string): string =>
  text.endsWith('\r\n') ? text.slice(0, -2) : text.endsWith('\n') ? text.slice(0, -1) : text;

/**
 * The real {@link RunProbeCommand}: runs `file` with `args` (no shell) in exactly the environment
 * given (nothing inherited from this process), stdin closed, killed after `timeoutMs` (SIGKILL
 * shortly after if SIGTERM is ignored), each output cut at 64 KiB (the command is then stopped).
 * Never rejects for a non-zero exit; rejects only when the file cannot be run (ENOENT, EACCES).
 * node:child_process, not execa: the agent runs this in every jail, and execa's module tree alone
 * is ~9 MiB of private memory per process.
 */
export function createProbeCommandRunner(env: Readonly<Record<string, string | undefined>>): RunProbeCommand {
  const childEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) childEnv[key] = value;
  // Stable, untranslated banners to parse.
  childEnv.LC_ALL = 'C';
  return (file, args, { timeoutMs }) =>
    new Promise((resolve, reject) => {
      const child = spawn(file, [...args], {
        env: childEnv,
        stdio: ['ignore', 'pipe', 'pipe'],
        shell: false,
      });
      const output = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
      let bytes = 0;
      let stopped = false;
      let forceKill: NodeJS.Timeout | undefined;
      const stop = () => {
        if (stopped) return;
        stopped = true;
        child.kill('SIGTERM');
        forceKill = setTimeout(() => child.kill('SIGKILL'), FORCE_KILL_AFTER_MS);
      };
      const timer = setTimeout(stop, timeoutMs);
      for (const name of ['stdout', 'stderr'] as const) {
        child[name].on('data', (chunk: Buffer) => {
          const room = MAX_OUTPUT_BYTES - bytes;
          if (room <= 0) return;
          output[name].push(chunk.subarray(0, room));
          bytes += Math.min(room, chunk.length);
          if (bytes >= MAX_OUTPUT_BYTES) stop();
        });
      }
      const settle = () => {
        clearTimeout(timer);
        if (forceKill !== undefined) clearTimeout(forceKill);
      };
      child.once('error', (error: NodeJS.ErrnoException) => {
        settle();
        if (error.code === 'ENOENT' || error.code === 'EACCES') reject(error);
        else resolve({ exitCode: null, stdout: '', stderr: error.message });
      });
      child.once('close', (code, signal) => {
        settle();
        resolve({
          exitCode: stopped || signal !== null ? null : code,
          stdout: stripFinalNewline(Buffer.concat(output.stdout).toString('utf8')),
          stderr: stripFinalNewline(Buffer.concat(output.stderr).toString('utf8')),
        });
      });
    });
}
