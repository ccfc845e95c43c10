import { describe, expect, it } from 'vitest';
import { Histogram } from './histogram.js';
import { renderMetrics } from './render-metrics.js';

describe('renderMetrics', () => {
  it('renders gauges per status and tag and a cumulative histogram', () => {
    const assign = new Histogram([0.01, 1]);
    assign.observe(0.005);
    assign.observe(0.5);
    assign.observe(5);
    const text = renderMetrics({
      version: '1.2.3',
      uptimeSeconds: 7,
      agents: { idle: 2, active: 1, offline: 0 },
      tasks: { parked: 1, assigned: 1, running: 0, done: 3, failed: 0, cancelled: 0 },
      parkedByMissingTag: new Map([
        ['screenshot', 1],
        ['gpu', 2],
      ]),
      assignLatency: assign,
      deliverLatency: new Histogram([0.01, 1]),
      waitingPolls: 4,
    });
    expect(text).toContain('colibri_long_polls_waiting 4\n');
    expect(text).toContain('colibri_agents{status="active"} 1\n');
    expect(text).toContain('colibri_tasks{status="done"} 3\n');
    expect(text).toContain(
      'colibri_parked_tasks_missing_tag{tag="gpu"} 2\ncolibri_parked_tasks_missing_tag{tag="screenshot"} 1\n',
    );
    expect(text).toContain('colibri_dispatch_latency_seconds_bucket{stage="assign",le="0.01"} 1\n');
    expect(text).toContain('colibri_dispatch_latency_seconds_bucket{stage="assign",le="1"} 2\n');
    expect(text).toContain('colibri_dispatch_latency_seconds_bucket{stage="assign",le="+Inf"} 3\n');
    expect(text).toContain('colibri_dispatch_latency_seconds_count{stage="deliver"} 0\n');
    expect(text).toContain('# TYPE colibri_dispatch_latency_seconds histogram\n');
    expect(text.endsWith('\n')).toBe(true);
  });
});
