import type { AgentEvent } from '@colibri/mother';

const VIA = {
  stored: 'its stored agent token',
  agent: 'an agent token',
  join: 'a join token',
  operator: 'the operator token',
};
const task = (e: { taskId: string; attempt: number }) => `task ${e.taskId} attempt ${e.attempt}`;
const list = (ids: readonly string[]) => (ids.length === 0 ? 'nothing' : ids.join(', '));

/** One line for people per runtime event (`colibri run-agent` without --json). Never a secret: events carry none. */
export function formatAgentEvent(event: AgentEvent): string {
  switch (event.type) {
    case 'registered':
      return `registered as ${event.name} (agent ${event.agentId}, ${event.tenant === null ? 'shared' : `tenant ${event.tenant}`}) with ${VIA[event.via]}: ${event.capabilities.join(', ') || 'no tags'}`;
    case 'skills':
      return `skills offered: ${list(event.offered)}${event.declined.map((d) => `; not ${d.name}: ${d.reason}`).join('')}`;
    case 'capabilities-updated':
      return `capabilities updated: ${event.capabilities.join(', ') || 'no tags'}`;
    case 'stored-token-rejected':
      return `the daemon refused the agent token of ${event.agentId} (${event.code}): registering again`;
    case 'connection-lost':
      return `daemon unreachable during ${event.during} (${event.message}): retrying in ${event.retryInMs} ms`;
    case 'connection-restored':
      return `daemon reachable again (${event.during})`;
    case 'task-started':
      return `${task(event)}: running handler ${event.handler} (time limit ${event.timeoutMs / 1000} s)`;
    case 'task-rejected':
      return `${task(event)}: cannot run: ${event.reason} [${event.code}]`;
    case 'task-finished':
      return event.outcome === 'done'
        ? `${task(event)}: handler done`
        : `${task(event)}: handler failed: ${event.reason ?? 'no reason'}${event.code === undefined ? '' : ` [${event.code}]`}`;
    case 'report-retry':
      return `${task(event)}: reporting ${event.to} did not reach the daemon (${event.code}): retrying in ${event.retryInMs} ms`;
    case 'report-delivered':
      return `${task(event)}: reported ${event.to}`;
    case 'report-dropped':
      return `${task(event)}: the daemon refused ${event.to} (${event.reason}) [${event.code}]: dropped`;
    case 'result-refused':
      return `${task(event)}: the daemon refused the result [${event.code}]: reporting failed instead`;
    case 'draining':
      return `draining (${event.reason}): ${event.running} handler(s) running; taking no new tasks`;
    case 'handler-killed':
      return event.why === 'drain'
        ? `${task(event)}: handler killed by the drain; the task is handed back`
        : event.why === 'revoked'
          ? `${task(event)}: handler killed (its process group is gone): the task was taken away`
          : `${task(event)}: handler killed: the daemon gave the task a newer attempt`;
    case 'task-revoked':
      return `${task(event)}: ${event.status === null ? 'gone' : `now ${event.status}`}${event.reason === null ? '' : ` (${event.reason})`}: killing its handler, no report`;
    case 'offline':
      return `offline; handed back: ${list(event.requeued)}${event.failed.length === 0 ? '' : `; failed after their last attempt: ${list(event.failed)}`}`;
    case 'offline-failed':
      return `could not go offline (${event.message}) [${event.code}]: the daemon will notice the missed heartbeats`;
    case 'stopped':
      return `stopped (${event.reason})`;
    case 'error':
      return `error during ${event.during}: ${event.message} [${event.code}]`;
  }
}
