import { describe, expect, it } from 'vitest';
import { task } from './fixtures.test-helper.js';
import { formatPolledTasks, formatTaskTable, formatTransition } from './format-tasks.js';

describe('formatTaskTable', () => {
  it('prints one aligned row per task', () => {
    const text = formatTaskTable([
      task(),
      task({
        id: 't-22',
        title: 'screenshot the board',
        status: 'parked',
        assignedAgentId: null,
        attempt: 0,
        requiredCapabilities: ['screenshot', 'linx'],
        tenant: 'acme',
        priority: 5,
      }),
    ]);
    expect(text.split('\n')).toEqual([
      'ID    STATUS    PRIORITY  ATTEMPT  AGENT  TENANT  NEEDS            TITLE',
      't-1   assigned  0         1/3      a-1    -       image-render     render thumbnails',
      't-22  parked    5         0/3      -      acme    screenshot,linx  screenshot the board',
    ]);
    expect(formatTaskTable([])).toBe('no tasks');
  });
});

describe('formatPolledTasks', () => {
  it('shows id, status, attempt, title and the payload as JSON', () => {
    expect(formatPolledTasks('a-1', [task()]).split('\n')).toEqual([
      'ID   STATUS    ATTEMPT  TITLE              PAYLOAD',
      't-1  assigned  1        render thumbnails  {"url":"https://example.org"}',
    ]);
    expect(formatPolledTasks('a-1', [])).toBe('no tasks for agent a-1');
  });
});

describe('formatTransition', () => {
  it('says where the task is now', () => {
    expect(formatTransition(task({ status: 'running' }))).toBe('task t-1 is now running (attempt 1)');
    expect(formatTransition(task({ status: 'parked' }))).toBe(
      'task t-1 is now parked (waiting for a capable agent)',
    );
  });
});
