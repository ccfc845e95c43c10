import type { ApiTask } from '@colibri/api';
import { describe, expect, it } from 'vitest';
import type { TaskView } from '../board-data.js';
import { taskView } from './task-view.js';

const task: ApiTask = {
  id: '5f0c6a1e-0000-4000-8000-000000000001',
  title: 'render',
  payload: null,
  requiredCapabilities: ['gpu'],
  skill: null,
  status: 'failed',
  tenant: null,
  assignedAgentId: null,
  priority: 0,
  attempt: 1,
  maxAttempts: 3,
  leaseExpiresAt: null,
  result: null,
  error: 'exit 1',
  createdAt: '2026-12-01T00:00:00.000Z',
  updatedAt: '2026-12-01T00:00:05.000Z',
  expiresAt: '2026-12-01T00:30:00.000Z',
  retryBackoffMs: null,
  notBefore: null,
  idempotencyKey: null,
};

const view = (over: Partial<TaskView>): TaskView => ({
  task,
  events: [],
  stderrTail: null,
  attempts: [],
  agentNames: new Map(),
  ...over,
});
const actions = { csrf: 'c', cancel: true, payload: false };
const now = new Date('2026-12-01T01:00:00.000Z');

describe('taskView', () => {
  it("shows the handler's stderr tail escaped: markup in it is text, never HTML", () => {
    const page = taskView(
      view({ stderrTail: 'Traceback\n<img src=x onerror=alert(1)></pre><script>alert(2)</script>\n' }),
      actions,
      now,
    ).toString();
    expect(page).toContain('<section id="stderr">');
    expect(page).toContain(
      '&lt;img src=x onerror=alert(1)&gt;&lt;/pre&gt;&lt;script&gt;alert(2)&lt;/script&gt;',
    );
    expect(page).not.toContain('<img');
    expect(page).not.toContain('<script');
  });

  it('shows the deadline of an expiring task, and no stderr section without a tail', () => {
    const page = taskView(
      view({ task: { ...task, status: 'parked', error: null } }),
      actions,
      now,
    ).toString();
    expect(page).toContain('<dt>expires</dt>');
    expect(page).toContain('2026-12-01T00:30:00.000Z');
    expect(page).not.toContain('id="stderr"');
    const expired = taskView(
      view({ task: { ...task, status: 'expired', error: null } }),
      actions,
      now,
    ).toString();
    expect(expired).toContain('<dt>expired at</dt>');
    expect(expired).toContain('status-expired');
    expect(expired).not.toContain('Cancel task');
  });
});
