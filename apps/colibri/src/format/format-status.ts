import type { StatusResponse } from '@colibri/api';
import { formatDuration, formatFields } from './format-table.js';

const counts = (byStatus: Readonly<Record<string, number>>): string =>
  Object.entries(byStatus)
    .map(([status, count]) => `${status} ${count}`)
    .join(', ');

/** `colibri status` in human mode: where the daemon is, its version and driver, and the counts. */
export function formatStatus(status: StatusResponse, target: string): string {
  return formatFields([
    ['daemon', `colibrid ${status.version} at ${target}, up ${formatDuration(status.uptimeSeconds)}`],
    ['store', status.driver],
    ['agents', counts(status.agents)],
    ['tasks', counts(status.tasks)],
  ]);
}
