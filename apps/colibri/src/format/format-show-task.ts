import type { ApiTaskEvent, ShowTaskResponse } from '@colibri/api';
import { formatDuration } from '@colibri/protocol';
import { formatParkedReason } from './format-parked-reason.js';
import { formatFields, formatJsonValue, formatTable } from './format-table.js';
import { displayAgent, displayId, type IdDisplay, SHORT_IDS } from './id-display.js';

function formatEvents(events: readonly ApiTaskEvent[], display: IdDisplay): string {
  if (events.length === 0) return '  (no events)';
  const table = formatTable(
    ['AT', 'FROM', 'TO', 'ATTEMPT', 'AGENT', 'REASON'],
    events.map((event) => [
      event.at,
      event.from ?? '(new)',
      event.to,
      String(event.attempt),
      displayAgent(event.agentId, display),
      event.reason ?? '',
    ]),
  );
  return table
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

/**
 * `colibri show-task` in human mode: the task's fields (its own id whole), its history and, while
 * parked, why; agents by name with their short id (whole with `display.wide`).
 */
export function formatShowTask(response: ShowTaskResponse, display: IdDisplay = SHORT_IDS): string {
  const { task } = response;
  const fields: [string, string][] = [
    ['task', task.id],
    ['title', task.title],
    ['status', task.status],
    ['needs', task.requiredCapabilities.join(', ') || '(nothing: any online agent)'],
    ['tenant', task.tenant ?? '- (shared)'],
    [
      'agent',
      task.assignedAgentId === null
        ? '-'
        : display.agentNames.has(task.assignedAgentId)
          ? `${display.agentNames.get(task.assignedAgentId)} (${displayId(task.assignedAgentId, display)})`
          : task.assignedAgentId,
    ],
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
    ...(task.expiresAt === null ? [] : ([['expires', task.expiresAt]] as [string, string][])),
    ['created', task.createdAt],
    ['updated', task.updatedAt],
    ['payload', formatJsonValue(task.payload)],
  ];
  if (task.idempotencyKey !== null) fields.push(['idempotency key', task.idempotencyKey]);
  if (task.result !== null && task.result !== undefined)
    fields.push(['result', formatJsonValue(task.result)]);
  if (task.error !== null) fields.push([task.status === 'parked' ? 'last error' : 'error', task.error]);
  const parts = [formatFields(fields), `history:\n${formatEvents(response.events, display)}`];
  if (response.parked !== undefined) parts.push(formatParkedReason(response.parked, display));
  if (task.status === 'expired') {
    const expiry = response.events.findLast((event) => event.to === 'expired');
    parts.push(`expired: ${expiry?.reason ?? 'still parked at its deadline'}`);
  }
  if (response.stderrTail) {
    const lines = response.stderrTail.replace(/\n$/, '').split('\n');
    parts.push(
      `stderr (the handler's last 64 KiB, secrets scrubbed):\n${lines.map((line) => `  ${line}`).join('\n')}`,
    );
  }
  return parts.join('\n\n');
}
