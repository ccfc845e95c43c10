import type { ApiTask, ShowTaskResponse } from '@colibri/api';
import { type AgentRun, fileTokenStore, type RunAgentOptions, runAgent } from '../src/index.js';
import { type Daemon, EventLog, eventually, type Workspace } from './hive-harness.js';

/** A runtime under test and what it reported. */
export interface TestAgent {
  readonly run: AgentRun;
  readonly log: EventLog;
}

/** Every agent started by a test, stopped afterwards (at once: no drain wait). */
const started = new Set<AgentRun>();

export async function stopAllAgents(): Promise<void> {
  await Promise.all([...started].map((run) => run.stop('test over', { now: true })));
  started.clear();
}

/** Starts `runAgent` against `daemon` with quick test timings; `overrides` win. */
export function startAgent(
  daemon: Daemon,
  workspace: Workspace,
  overrides: Partial<RunAgentOptions> = {},
): TestAgent {
  const log = new EventLog();
  const run = runAgent({
    name: 'worker-1',
    tenant: null,
    capabilities: ['linux'],
    host: 'test-host',
    daemon: { socketPath: daemon.socketPath },
    credential: { kind: 'operator', token: daemon.operatorToken },
    tokenStore: fileTokenStore(workspace.stateDir),
    handlersDir: workspace.handlersDir,
    environment: { inherited: process.env, variables: {} },
    heartbeatMs: 200,
    pollWaitSeconds: 5,
    killGraceMs: 500,
    backoff: { initialMs: 50, maxMs: 500 },
    onEvent: log.sink,
    ...overrides,
  });
  started.add(run);
  return { run, log };
}

/** Waits until the task is done, failed or cancelled, and returns it with its event log. */
export function settled(daemon: Daemon, taskId: string): Promise<ShowTaskResponse> {
  return eventually(`task ${taskId} to finish`, async () => {
    const shown = await daemon.operator.showTask(taskId);
    return ['done', 'failed', 'cancelled'].includes(shown.task.status) ? shown : undefined;
  });
}

/** Takes in a task for `capabilities` with `payload`; returns it. */
export async function intake(
  daemon: Daemon,
  payload: unknown,
  capabilities: readonly string[] = ['linux'],
  extra: { tenant?: string; maxAttempts?: number } = {},
): Promise<ApiTask> {
  const { task } = await daemon.operator.intakeTask({
    title: `test ${JSON.stringify(payload).slice(0, 40)}`,
    requiredCapabilities: capabilities,
    payload,
    ...extra,
  });
  return task;
}
