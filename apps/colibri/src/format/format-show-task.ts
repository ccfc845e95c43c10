import type { ApiTaskEvent, ShowTaskResponse } from '@colibri/api';
import { formatDuration } from '@colibri/protocol';
import { formatParkedReason } from './format-parked-reason.js';
import { formatFields, formatJsonValue, formatTable } from './format-table.js';

function formatEvents(events: readonly ApiTaskEvent[]): string {
  if (events.length === 0) return '  (no events)';
  const table = formatTable(
    ['AT', 'FROM', 'TO', 'ATTEMPT', 'AGENT', 'REASON'],
    events.map((event) => [
      event.at,
      event.from ?? '(new)',
      event.to,
      String(event.attempt),
      event.agentId ?? '-',
      event.reason ?? '',
    ]),
  );
  return table
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

/** `colibri show-task` in human mode: the task's fields, its history and, while parked, why. */
export function formatShowTask(response: ShowTaskResponse): string {
  const { task } = response;
  const fields: [string, string][] = [
    ['task', task.id],
    ['title', task.title],
    ['status', task.status],
    ['needs', task.requiredCapabilities.join(', ') || '(nothing: any online agent)'],
    ['tenant', task.tenant ?? '- (shared)'],
    ['agent', task.assignedAgentId ?? '-'],
    ['priority', String(task.priority)],
    ['attempt', `${task.attempt} of ${task.maxAttempts}`],
    [
      'retries',
      task.retryBackoffMs === null
        ? 'none (a failed handler ends the task)'
        : `after a failed attempt, backoff ${formatDuration(task.retryBackoffMs)} doubled each time (at most 1h)`,
    ],
    ...(task.status === 'parked' && task.notBefore !== null
      ? [['not before', `${task.notBefore} (retry backoff)`] as [string, string]]
      : []),
    ['lease until', task.leaseExpiresAt ?? '-'],
    ['created', task.createdAt],
    ['updated', task.updatedAt],
    ['payload', formatJsonValue(task.payload)],
  ];
  if (task.idempotencyKey !== null) fields.push(['idempotency key', task.idempotencyKey]);
  if (task.result !== null && task.result !== undefined)
    fields.push(['result', formatJsonValue(task.result)]);
  if (task.error !== null) fields.push([task.status === 'parked' ? 'last error' : 'error', task.error]);
  const parts = [formatFields(fields), `history:\n${formatEvents(response.events)}`];
  if (response.parked !== undefined) parts.push(formatParkedReason(response.parked));
  return parts.join('\n\n');
}
