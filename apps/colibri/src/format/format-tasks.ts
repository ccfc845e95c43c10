import type { ApiTask } from '@colibri/api';
import { formatJsonValue, formatTable } from './format-table.js';
import { displayAgent, displayId, type IdDisplay, SHORT_IDS } from './id-display.js';

/**
 * `colibri list-tasks` in human mode: one aligned row per task (agent/tenant `-` = none), short
 * ids and agent names unless `display` says otherwise (`--wide` adds the agent's whole id).
 */
export function formatTaskTable(tasks: readonly ApiTask[], display: IdDisplay = SHORT_IDS): string {
  if (tasks.length === 0) return 'no tasks';
  return formatTable(
    [
      'ID',
      'STATUS',
      'PRIORITY',
      'ATTEMPT',
      'AGENT',
      ...(display.wide ? ['AGENT ID'] : []),
      'TENANT',
      'NEEDS',
      'TITLE',
    ],
    tasks.map((task) => [
      displayId(task.id, display),
      task.status,
      String(task.priority),
      `${task.attempt}/${task.maxAttempts}`,
      displayAgent(task.assignedAgentId, display),
      ...(display.wide ? [task.assignedAgentId ?? '-'] : []),
      task.tenant ?? '-',
      task.requiredCapabilities.join(',') || '-',
      task.title,
    ]),
  );
}

/** `colibri poll` in human mode: what the agent should run, with the attempt to report back. */
export function formatPolledTasks(agentId: string, tasks: readonly ApiTask[]): string {
  if (tasks.length === 0) return `no tasks for agent ${agentId}`;
  return formatTable(
    ['ID', 'STATUS', 'ATTEMPT', 'TITLE', 'PAYLOAD'],
    tasks.map((task) => [
      task.id,
      task.status,
      String(task.attempt),
      task.title,
      formatJsonValue(task.payload),
    ]),
  );
}

/** After a transition: `task 5f0c… is now running (attempt 1)`. */
export function formatTransition(task: ApiTask): string {
  const detail = task.status === 'parked' ? 'waiting for a capable agent' : `attempt ${task.attempt}`;
  return `task ${task.id} is now ${task.status} (${detail})`;
}
