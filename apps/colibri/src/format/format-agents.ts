import type { ApiAgent } from '@colibri/api';
import { formatAge, formatTable } from './format-table.js';
import { displayId, type IdDisplay, SHORT_IDS } from './id-display.js';

/**
 * `colibri list-agents` in human mode: one aligned row per agent (tenant `-` = shared lane), the id
 * short unless `display.wide`.
 */
export function formatAgentTable(
  agents: readonly ApiAgent[],
  now: Date,
  display: IdDisplay = SHORT_IDS,
): string {
  if (agents.length === 0) return 'no agents';
  return formatTable(
    ['ID', 'NAME', 'HOST', 'TENANT', 'STATUS', 'LOAD', 'HEARTBEAT', 'CAPABILITIES'],
    agents.map((agent) => [
      displayId(agent.id, display),
      agent.name,
      agent.host ?? '-',
      agent.tenant ?? '-',
      // A retired agent is gone for good: say so rather than `offline` (listed only with --retired).
      agent.retiredAt === null ? agent.status : 'retired',
      // Tasks held / slots: the daemon gives it a task only while the first is below the second.
      `${agent.activeTasks}/${agent.slots}`,
      formatAge(agent.lastHeartbeatAt, now),
      agent.capabilities.join(',') || '-',
    ]),
  );
}

/** One agent in a sentence: `domedog (0b6e…) is idle, last heartbeat 3s ago`. */
export function formatAgentLine(agent: ApiAgent, now: Date): string {
  return `agent ${agent.name} (${agent.id}) is ${agent.status}, last heartbeat ${formatAge(agent.lastHeartbeatAt, now)}`;
}
