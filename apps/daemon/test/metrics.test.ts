import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonMetrics } from '../src/metrics/daemon-metrics.js';
import { type Daemon, raw, startDaemon } from './daemon-harness.js';
import { parseExposition } from './prometheus-text.js';

const snapshot = {
  uptimeSeconds: 7,
  agents: { idle: 2, active: 1, offline: 0 },
  tasks: { parked: 1, assigned: 1, running: 0, done: 3, failed: 0, cancelled: 0, expired: 0 },
  parkedByMissingTag: new Map([
    ['screenshot', 1],
    ['gpu', 2],
  ]),
  waitingPolls: 4,
  storeCommits: 11,
  storeWrites: 17,
};

describe('DaemonMetrics', () => {
  it('renders a valid exposition: hive gauges, counters, histograms, default process metrics', async () => {
    const metrics = new DaemonMetrics('1.2.3');
    metrics.assignLatency.observe(0.004);
    metrics.assignLatency.observe(0.5);
    metrics.assignLatency.observe(5000);
    metrics.request('POST', '/v1/tasks', 201);
    metrics.request('POST', '/v1/tasks', 201);
    metrics.request('GET', '-', 404);
    metrics.clientAbort('POST', '/v1/tasks');
    for (const status of ['done', 'done', 'failed', 'cancelled', 'parked', 'running'] as const) {
      metrics.taskMoved(status);
    }
    const text = await metrics.render(snapshot);
    const m = parseExposition(text);
    expect(metrics.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(m.value('colibri_build_info', { version: '1.2.3' })).toBe(1);
    expect(m.value('colibri_uptime_seconds')).toBe(7);
    expect(m.value('colibri_agents', { status: 'active' })).toBe(1);
    expect(m.value('colibri_tasks', { status: 'done' })).toBe(3);
    expect(m.value('colibri_long_polls_waiting')).toBe(4);
    expect(m.value('colibri_store_commits_total')).toBe(11);
    expect(m.value('colibri_store_writes_total')).toBe(17);
    expect(m.value('colibri_parked_tasks_missing_tag', { tag: 'gpu' })).toBe(2);
    expect(m.families.get('colibri_dispatch_latency_seconds')?.type).toBe('histogram');
    expect(m.value('colibri_dispatch_latency_seconds_bucket', { stage: 'assign', le: '0.005' })).toBe(1);
    expect(m.value('colibri_dispatch_latency_seconds_bucket', { stage: 'assign', le: '1' })).toBe(2);
    expect(m.value('colibri_dispatch_latency_seconds_bucket', { stage: 'assign', le: '+Inf' })).toBe(3);
    expect(m.value('colibri_dispatch_latency_seconds_count', { stage: 'assign' })).toBe(3);
    expect(m.value('colibri_dispatch_latency_seconds_count', { stage: 'deliver' })).toBe(0);
    expect(m.families.get('colibri_http_requests_total')?.type).toBe('counter');
    expect(m.value('colibri_http_requests_total', { method: 'POST', route: '/v1/tasks', code: '201' })).toBe(
      2,
    );
    expect(m.value('colibri_http_requests_total', { method: 'GET', route: '-', code: '404' })).toBe(1);
    expect(m.value('colibri_http_client_aborts_total', { method: 'POST', route: '/v1/tasks' })).toBe(1);
    expect(m.value('colibri_task_outcomes_total', { outcome: 'done' })).toBe(2);
    expect(m.value('colibri_task_outcomes_total', { outcome: 'failed' })).toBe(1);
    expect(m.value('colibri_task_outcomes_total', { outcome: 'cancelled' })).toBe(1);
    expect(m.value('colibri_task_outcomes_total', { outcome: 'requeued' })).toBe(1);
    // prom-client's defaults: process and event loop.
    // CPU seconds count from the registry's creation: on a loaded machine this process may not have
    // been scheduled since, so only the family and a non-negative value are certain.
    expect(m.families.get('process_cpu_user_seconds_total')?.type).toBe('counter');
    expect(m.value('process_cpu_user_seconds_total')).toBeGreaterThanOrEqual(0);
    expect(m.value('process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(m.families.get('nodejs_eventloop_lag_seconds')?.type).toBe('gauge');
    expect(m.value('nodejs_eventloop_lag_p99_seconds')).toBeGreaterThanOrEqual(0);
    for (const [name, { help }] of m.families) expect(help, name).not.toBe('');
  });

  it('drops a missing tag that is no longer missing', async () => {
    const metrics = new DaemonMetrics('1');
    await metrics.render(snapshot);
    const m = parseExposition(
      await metrics.render({ ...snapshot, parkedByMissingTag: new Map([['gpu', 1]]) }),
    );
    expect(m.value('colibri_parked_tasks_missing_tag', { tag: 'gpu' })).toBe(1);
    expect(m.value('colibri_parked_tasks_missing_tag', { tag: 'screenshot' })).toBeUndefined();
  });
});

describe('GET /metrics on a running colibrid', () => {
  let daemon: Daemon;
  beforeAll(async () => {
    daemon = await startDaemon({ args: ['--heartbeat-ttl', '1h'] });
  });
  afterAll(() => daemon.dispose());

  it('counts tasks by outcome and requests by route and code', async () => {
    const { agent, token } = await daemon.operator.registerAgent({ name: 'm1', capabilities: ['m'] });
    const worker = daemon.client(token);
    const intake = () => daemon.operator.intakeTask({ title: 't', requiredCapabilities: ['m'] });
    const first = await intake();
    const second = await intake();
    const third = await intake();
    expect(first.task.assignedAgentId).toBe(agent.id);
    await worker.transitionTask(first.task.id, { to: 'done', attempt: 1, result: {} });
    await worker.transitionTask(second.task.id, { to: 'failed', attempt: 1, error: 'boom' });
    await daemon.operator.transitionTask(third.task.id, { to: 'cancelled', reason: 'not needed' });
    expect(
      (
        await raw(daemon.socketPath, {
          method: 'GET',
          path: '/v2/nothing',
          headers: { authorization: `Bearer ${daemon.operatorToken}` },
        })
      ).status,
    ).toBe(404);
    const m = parseExposition(await daemon.operator.metrics());
    expect(m.value('colibri_task_outcomes_total', { outcome: 'done' })).toBe(1);
    expect(m.value('colibri_task_outcomes_total', { outcome: 'failed' })).toBe(1);
    expect(m.value('colibri_task_outcomes_total', { outcome: 'cancelled' })).toBe(1);
    expect(m.value('colibri_task_outcomes_total', { outcome: 'requeued' })).toBe(0);
    expect(m.value('colibri_http_requests_total', { method: 'POST', route: '/v1/tasks', code: '201' })).toBe(
      3,
    );
    expect(
      m.value('colibri_http_requests_total', {
        method: 'POST',
        route: '/v1/tasks/:id/transition',
        code: '200',
      }),
    ).toBe(3);
    expect(m.value('colibri_http_requests_total', { method: 'GET', route: '-', code: '404' })).toBe(1);
    expect(m.value('colibri_dispatch_latency_seconds_count', { stage: 'assign' })).toBe(3);
    expect(m.value('colibri_tasks', { status: 'done' })).toBe(1);
    expect(m.value('process_start_time_seconds')).toBeGreaterThan(0);
  });
});
