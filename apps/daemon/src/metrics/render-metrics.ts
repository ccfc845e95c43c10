import type { AgentStatus, TaskStatus } from '@colibri/protocol';
import type { Histogram } from './histogram.js';

/** What `/metrics` shows, gathered by the daemon. */
export interface MetricsSnapshot {
  readonly version: string;
  readonly uptimeSeconds: number;
  readonly agents: Readonly<Record<AgentStatus, number>>;
  readonly tasks: Readonly<Record<TaskStatus, number>>;
  /** Parked tasks per required tag that no eligible online agent offers. */
  readonly parkedByMissingTag: ReadonlyMap<string, number>;
  /** Intake → assignment. */
  readonly assignLatency: Histogram;
  /** Assignment → the agent's poll returning the task. */
  readonly deliverLatency: Histogram;
  /** Long polls waiting on this daemon for their agent to be given a task. */
  readonly waitingPolls: number;
}

function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Renders the Prometheus text exposition format (version 0.0.4). */
export function renderMetrics(m: MetricsSnapshot): string {
  const lines: string[] = [
    '# HELP colibri_build_info The running colibrid version.',
    '# TYPE colibri_build_info gauge',
    `colibri_build_info{version="${label(m.version)}"} 1`,
    '# HELP colibri_uptime_seconds Seconds since this colibrid started.',
    '# TYPE colibri_uptime_seconds gauge',
    `colibri_uptime_seconds ${m.uptimeSeconds}`,
    '# HELP colibri_agents Agents by status.',
    '# TYPE colibri_agents gauge',
    ...Object.entries(m.agents).map(([status, n]) => `colibri_agents{status="${status}"} ${n}`),
    '# HELP colibri_tasks Tasks by status.',
    '# TYPE colibri_tasks gauge',
    ...Object.entries(m.tasks).map(([status, n]) => `colibri_tasks{status="${status}"} ${n}`),
    '# HELP colibri_long_polls_waiting Long polls waiting on this colibrid for their agent to be given a task.',
    '# TYPE colibri_long_polls_waiting gauge',
    `colibri_long_polls_waiting ${m.waitingPolls}`,
    '# HELP colibri_parked_tasks_missing_tag Parked tasks per required tag that no eligible online agent offers.',
    '# TYPE colibri_parked_tasks_missing_tag gauge',
    ...[...m.parkedByMissingTag.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([tag, n]) => `colibri_parked_tasks_missing_tag{tag="${label(tag)}"} ${n}`),
    '# HELP colibri_dispatch_latency_seconds Dispatch latency: intake to assignment (stage="assign"), assignment to the agent receiving it from a poll (stage="deliver").',
    '# TYPE colibri_dispatch_latency_seconds histogram',
    ...m.assignLatency.lines('colibri_dispatch_latency_seconds', 'stage="assign"'),
    ...m.deliverLatency.lines('colibri_dispatch_latency_seconds', 'stage="deliver"'),
  ];
  return `${lines.join('\n')}\n`;
}
