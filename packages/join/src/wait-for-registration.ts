import { ColibriError } from '@colibri/errors';
import type { JailDriver } from '@colibri/spawner';
import type { HiveAgent, HivePort } from './hive-port.js';
import { type LogWake, watchForWrites } from './log-wake.js';
import { readLogTail } from './read-log-tail.js';

export interface WaitForRegistrationOptions {
  readonly hive: HivePort;
  readonly driver: JailDriver;
  readonly jail: string;
  readonly agentName: string;
  readonly tenant: string;
  /** The agent of that name before this run started it (undefined: none was registered). */
  readonly before: HiveAgent | undefined;
  readonly timeoutMs: number;
  /** Never shown in a log tail (the join token). */
  readonly secrets: readonly string[];
  /**
   * Injected for tests; default: setTimeout, cut short whenever the agent's log is written (the
   * agent prints its `registered` line the moment it joined), so the step ends right after the
   * registration instead of up to a poll interval later.
   */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * The first poll interval and its ceiling. Kept short: an agent typically registers 0.7-1.5 s
 * after start, and a 1 s ceiling made the step wait up to a second for a registration that had
 * already happened (BENCHMARKS.md, "Join the hive"); a look is one small request to colibrid.
 */
export const REGISTRATION_POLL_MS = { first: 100, max: 250 } as const;

/**
 * Whether `agent` is the agent this run started, registered and online: the right tenant, not
 * offline, and — when the same registration was already listed as online before the restart (its
 * TTL had not run out) — heard from since (`lastSeenAt` changed), since only that proves the new
 * process came back.
 */
export function isNewlyRegistered(
  agent: HiveAgent | undefined,
  before: HiveAgent | undefined,
  tenant: string,
): agent is HiveAgent {
  if (agent === undefined || agent.tenant !== tenant || agent.status === 'offline') return false;
  if (before === undefined || before.id !== agent.id || before.status === 'offline') return true;
  if (agent.lastSeenAt === undefined || before.lastSeenAt === undefined) return true;
  return agent.lastSeenAt !== before.lastSeenAt;
}

/**
 * Polls the hive ({@link REGISTRATION_POLL_MS}, and again whenever the agent's log is written) until the agent registered with its tenant and is
 * online. Fails at once when the jail's agent process is no longer running (`COLIBRI_SPAWN_FAILED`)
 * and after `timeoutMs` (`COLIBRI_WAIT_TIMEOUT`), both with the last lines of the agent's log in
 * `details.logTail` (lines holding a secret withheld). Time is measured with the monotonic clock.
 */
export async function waitForRegistration(options: WaitForRegistrationOptions): Promise<HiveAgent> {
  const { driver, jail } = options;
  const wake = options.sleep === undefined ? watchForWrites(driver.agentLogPath(jail)) : undefined;
  try {
    return await poll(options, options.sleep ?? ((ms) => (wake as LogWake).wait(ms)));
  } finally {
    wake?.close();
  }
}

async function poll(
  options: WaitForRegistrationOptions,
  sleep: (ms: number) => Promise<void>,
): Promise<HiveAgent> {
  const { hive, driver, jail, agentName, tenant, before, timeoutMs, secrets } = options;
  const started = performance.now();
  let interval: number = REGISTRATION_POLL_MS.first;
  for (;;) {
    const agent = await hive.findAgent(agentName);
    if (agent !== undefined && agent.tenant !== tenant) {
      throw new ColibriError(
        'COLIBRI_AGENT_NAME_TAKEN',
        `agent name ${agentName} was registered for ${agent.tenant === null ? 'the shared lane' : `tenant ${agent.tenant}`} ` +
          `while this spawn for tenant ${tenant} waited`,
        { agentName, tenant: agent.tenant },
      );
    }
    if (isNewlyRegistered(agent, before, tenant)) return agent;
    const status = await driver.inspect(jail);
    if (!status.exists || status.agent !== 'running') {
      // One last look: it may have registered and then stopped (the error says so either way).
      const logPath = driver.agentLogPath(jail);
      const logTail = await readLogTail(logPath, { secrets });
      throw new ColibriError(
        'COLIBRI_SPAWN_FAILED',
        `agent ${agentName} exited before it registered${describeLastLine(logTail)}; its log: ${logPath}`,
        { agentName, jail, logPath, logTail },
      );
    }
    const waited = performance.now() - started;
    if (waited >= timeoutMs) {
      const logPath = driver.agentLogPath(jail);
      const logTail = await readLogTail(logPath, { secrets });
      throw new ColibriError(
        'COLIBRI_WAIT_TIMEOUT',
        `agent ${agentName} did not register within ${formatSeconds(timeoutMs)}${describeLastLine(logTail)}; ` +
          `its log: ${logPath} (it may not reach colibrid: check the daemon endpoint)`,
        { agentName, jail, logPath, logTail, timeoutMs },
      );
    }
    await sleep(Math.min(interval, Math.max(1, timeoutMs - waited)));
    interval = Math.min(interval * 2, REGISTRATION_POLL_MS.max);
  }
}

function describeLastLine(logTail: readonly string[]): string {
  const last = [...logTail].reverse().find((line) => line.trim() !== '');
  return last === undefined
    ? ' (its log is empty)'
    : ` (last log line: ${JSON.stringify(last.slice(0, 300))})`;
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
