import { spawn } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { writeFileAtomic } from '../atomic-write.js';
import { MINIMAL_COMMAND_ENV } from '../minimal-command-env.js';
import { keyringFilter } from './keyring-filter.js';
import { type LaunchRecord, readLaunchRecord } from './launch-record.js';
import { childrenOf } from './process-table.js';
import { startSocketProxy } from './socket-proxy.js';

/** The keeper's pid file in `R/<jail>/run/`: present only while the sandbox runs. */
export const KEEPER_PID_FILE = 'keeper.pid';

/** What the keeper reports once to whoever started it. */
export type KeeperReport =
  | { readonly ready: true; readonly keeperPid: number; readonly sandboxPid: number }
  | { readonly ready: false; readonly error: string };

/** Options of {@link runKeeper}. */
export interface KeeperOptions {
  /** `R/<jail>`: the keeper reads `run/launch.json` from it. */
  readonly jailDir: string;
  /** Called once: the sandbox is up (bwrap reported its child), or it could not start. */
  readonly report: (report: KeeperReport) => void;
  /** One JSON line per event (the keeper's stdout goes to run/keeper.log). */
  readonly log: (fields: Record<string, unknown>, message: string) => void;
  /** Subscribes to stop signals; returns the unsubscribe. The count says whether it is the first. */
  readonly onStop: (handler: (signal: string, count: number) => void) => () => void;
}

/**
 * The keeper of one jail's agent (started detached by startAgent, so the agent outlives the CLI):
 * 1. serves the per-jail socket `R/<jail>/sock/colibri.sock` (owned by the jail uid, 0600) and pipes
 *    every connection to colibrid;
 * 2. spawns the sandbox (stdout+stderr appended to run/agent.log) and writes run/keeper.pid once
 *    bwrap reports the sandbox's child: only then is the agent "running";
 * 3. on SIGTERM forwards the stop to the agent: bwrap does not forward signals (its pid 1 reaper
 *    ignores them), so the keeper signals the reaper's children (the agent) directly; a second
 *    signal kills bwrap, and --die-with-parent/PDEATHSIG take the whole sandbox down;
 * 4. when the agent exits, closes the socket, removes keeper.pid and returns the agent's exit code.
 * No restart loop: spawn-agent again repairs. A SIGKILLed keeper takes the sandbox with it
 * (bwrap --die-with-parent): no orphaned agents.
 */
export async function runKeeper(options: KeeperOptions): Promise<number> {
  const { jailDir, log } = options;
  const runDir = join(jailDir, 'run');
  let reported = false;
  const report = (value: KeeperReport) => {
    if (reported) return;
    reported = true;
    options.report(value);
  };

  let launch: LaunchRecord;
  try {
    launch = await readLaunchRecord(runDir);
  } catch (error) {
    const message = `cannot read the launch record: ${(error as Error).message}`;
    log({}, message);
    report({ ready: false, error: message });
    return 70;
  }

  let proxy: Awaited<ReturnType<typeof startSocketProxy>>;
  try {
    proxy = await startSocketProxy(launch.socketPath, launch.owner, launch.daemon, log);
  } catch (error) {
    const message = `cannot serve ${launch.socketPath}: ${(error as Error).message}`;
    log({}, message);
    report({ ready: false, error: message });
    return 70;
  }
  log({ socket: launch.socketPath, daemon: launch.daemon }, 'serving the per-jail daemon socket');

  const agentLog = openSync(
    launch.agentLog,
    constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW,
    0o600,
  );
  // The sandbox gets exactly: /dev/null, agent.log twice, bwrap's status pipe and the filter pipe.
  const stdio: Array<'ignore' | 'pipe' | number> = ['ignore', agentLog, agentLog];
  for (const fd of [launch.statusFd, launch.seccompFd]) {
    while (stdio.length <= fd) stdio.push('ignore');
    stdio[fd] = 'pipe';
  }
  let filter: Buffer;
  try {
    filter = keyringFilter();
  } catch (error) {
    closeSync(agentLog);
    const message = `no keyring filter: ${(error as Error).message}`;
    log({}, message);
    report({ ready: false, error: message });
    await proxy.close();
    return 70;
  }
  const child = spawn(launch.command.file, launch.command.args, {
    stdio,
    env: { ...MINIMAL_COMMAND_ENV },
    detached: false,
  });
  closeSync(agentLog);
  const filterPipe = child.stdio[launch.seccompFd] as Writable | null;
  filterPipe?.on('error', () => undefined);
  filterPipe?.end(filter);
  log({ argv: launch.agentArgv, sandboxCommandPid: child.pid }, 'sandbox spawned');

  let sandboxPid: number | undefined;
  let exited = false;
  let pidWritten: Promise<void> = Promise.resolve();

  /**
   * The agent's host pids: the children of bwrap's pid 1. Right after bwrap reports its child,
   * that reaper may not have forked the agent yet, so this polls until there is one (or the
   * sandbox is gone): a stop that comes that early is still delivered.
   */
  const agentPids = async (reaper: number): Promise<number[]> => {
    for (;;) {
      const pids = await childrenOf(reaper);
      if (pids.length > 0 || exited) return pids;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };

  const unsubscribe = options.onStop((signal, count) => {
    void (async () => {
      if (count > 1) {
        log({ signal, count }, 'second stop: killing the sandbox');
        child.kill('SIGKILL');
        return;
      }
      if (sandboxPid === undefined) {
        // Still setting up: no agent yet that could drain.
        log({ signal }, 'stop before the sandbox was up: ending bwrap');
        child.kill('SIGTERM');
        return;
      }
      const agents = await agentPids(sandboxPid);
      log({ signal, agents }, 'forwarding the stop to the agent');
      for (const pid of agents) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // It already exited.
        }
      }
    })();
  });

  const status = child.stdio[launch.statusFd];
  let buffered = '';
  status?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      newline = buffered.indexOf('\n');
      if (line === '') continue;
      let document: Record<string, unknown>;
      try {
        document = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      const childPid = document['child-pid'];
      if (typeof childPid === 'number' && sandboxPid === undefined) {
        sandboxPid = childPid;
        // "Running" means the agent process exists, not only the sandbox around it.
        pidWritten = agentPids(childPid)
          .then(async (agents) => {
            if (agents.length === 0) throw new Error('the agent exited at once');
            await writeFileAtomic(runDir, KEEPER_PID_FILE, `${process.pid}\n`, 0o644);
            log({ sandboxPid, agents }, 'agent running');
            report({ ready: true, keeperPid: process.pid, sandboxPid: childPid });
          })
          .catch((error: Error) => {
            log({ error: error.message }, 'the agent is not running');
            report({ ready: false, error: `${error.message}: see ${launch.agentLog}` });
            child.kill('SIGKILL');
          });
      }
    }
  });
  status?.on('error', () => undefined);

  const exitCode = await new Promise<number>((resolve) => {
    child.on('error', (error) => {
      exited = true;
      log({ error: error.message }, 'the sandbox could not be spawned');
      resolve(70);
    });
    child.on('exit', (code, signal) => {
      exited = true;
      log({ code, signal }, 'sandbox exited');
      resolve(code ?? 128 + (signal === null ? 0 : signalNumber(signal)));
    });
  });
  unsubscribe();
  report({
    ready: false,
    error: `the sandbox exited with code ${exitCode} before it started: see ${launch.agentLog}`,
  });
  await proxy.close();
  await pidWritten;
  await removeOwnPidFile(runDir);
  log({ exitCode }, 'keeper done');
  return exitCode;
}

async function removeOwnPidFile(runDir: string): Promise<void> {
  const path = join(runDir, KEEPER_PID_FILE);
  try {
    if ((await readFile(path, 'utf8')).trim() === String(process.pid)) await rm(path, { force: true });
  } catch {
    // Already gone.
  }
}

function signalNumber(signal: NodeJS.Signals): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  return numbers[signal] ?? 0;
}
