import { describe, expect, it } from 'vitest';
import { isLegalTaskTransition, TASK_STATUSES, TERMINAL_TASK_STATUSES } from './states.js';

describe('task transitions', () => {
  it('nothing leaves a terminal state', () => {
    for (const from of TERMINAL_TASK_STATUSES) {
      for (const to of TASK_STATUSES) expect(isLegalTaskTransition(from, to)).toBe(false);
    }
  });

  it('a task cannot go back to running once done, nor skip assignment', () => {
    expect(isLegalTaskTransition('done', 'running')).toBe(false);
    expect(isLegalTaskTransition('parked', 'running')).toBe(false);
    expect(isLegalTaskTransition('parked', 'done')).toBe(false);
  });

  it('no state transitions to itself', () => {
    for (const status of TASK_STATUSES) expect(isLegalTaskTransition(status, status)).toBe(false);
  });
});
