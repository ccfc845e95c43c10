import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COLIBRI_BIN } from './colibri-process.test-helper.js';

/** One `--json` line of `colibri run-agent`: an event with its time. */
export type AgentLine = { readonly type: string; readonly at: string } & Record<string, unknown>;

/** `colibri run-agent --json` as a real child process, its event lines parsed as they come. */
export interface AgentProcess {
  readonly child: ChildProcess;
  readonly lines: AgentLine[];
  /** Everything it wrote to stderr. */
  stderr(): string;
  /** The first line (seen or to come) of `type` matching `match`; fails when the process exits first. */
  waitFor(type: string, match?: (line: AgentLine) => boolean): Promise<AgentLine>;
  /** Resolves with how it exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Starts `colibri run-agent --json ...args` with exactly `env`; `entry` is the script node runs
 * (the CLI, or the light run-agent entry a jail starts).
 */
export function startAgentProcess(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  entry: string = COLIBRI_BIN,
): AgentProcess {
  const child = spawn(process.execPath, [entry, 'run-agent', '--json', ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: AgentLine[] = [];
  let pending = '';
  let stderr = '';
  let waiters: { match: (line: AgentLine) => boolean; resolve: (line: AgentLine) => void }[] = [];
  child.stdout?.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      const text = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      newline = pending.indexOf('\n');
      if (text.trim() === '') continue;
      const line = JSON.parse(text) as AgentLine;
      lines.push(line);
      waiters = waiters.filter((w) => {
        if (!w.match(line)) return true;
        w.resolve(line);
        return false;
      });
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    lines,
    stderr: () => stderr,
    exited,
    kill: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    waitFor(type, match = () => true) {
      const test = (line: AgentLine) => line.type === type && match(line);
      const seen = lines.find(test);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.push({ match: test, resolve });
        void exited.then(({ code, signal }) =>
          reject(
            new Error(
              `run-agent exited (${code ?? signal}) before a ${type} line; stdout:\n${lines
                .map((l) => JSON.stringify(l))
                .join('\n')}\nstderr:\n${stderr}`,
            ),
          ),
        );
      });
    },
  };
}

/** A home directory for one agent: `<home>/.env`, `<home>/handlers/…`, and a `colibri` on its PATH. */
export interface AgentHome {
  readonly home: string;
  readonly handlersDir: string;
  /** A directory with a `colibri` wrapper running this build of the CLI: put it on the agent's PATH. */
  readonly binDir: string;
  /** Writes an executable handler (give the full script, `#!` line included). */
  handler(name: string, script: string): void;
  /** Writes `<home>/.env` mode 0600 in the vault's format (`KEY='value'`). */
  env(variables: Record<string, string>): void;
  /** Writes `<home>/identity/agent.json` and returns the identity directory. */
  identity(agent: Record<string, unknown>): string;
  path(name: string): string;
  dispose(): void;
}

export function createAgentHome(): AgentHome {
  const home = mkdtempSync(join(tmpdir(), 'colibri-agent-home-'));
  const handlersDir = join(home, 'handlers');
  const binDir = join(home, 'bin');
  mkdirSync(handlersDir);
  mkdirSync(binDir);
  const wrapper = join(binDir, 'colibri');
  writeFileSync(wrapper, `#!/bin/sh\nexec ${process.execPath} ${COLIBRI_BIN} "$@"\n`);
  chmodSync(wrapper, 0o755);
  return {
    home,
    handlersDir,
    binDir,
    handler(name, script) {
      const file = join(handlersDir, name);
      writeFileSync(file, script);
      chmodSync(file, 0o755);
    },
    env(variables) {
      const file = join(home, '.env');
      const text = Object.entries(variables)
        .map(([key, value]) => `${key}='${value.replaceAll("'", "'\\''")}'`)
        .join('\n');
      writeFileSync(file, `${text}\n`, { mode: 0o600 });
      chmodSync(file, 0o600);
    },
    identity(agent) {
      const dir = join(home, 'identity');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'agent.json'), JSON.stringify(agent));
      return dir;
    },
    path: (name) => join(home, name),
    dispose: () => rmSync(home, { recursive: true, force: true }),
  };
}
