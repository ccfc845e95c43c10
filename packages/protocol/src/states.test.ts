import { describe, expect, it } from 'vitest';
import {
  isLegalTaskTransition,
  isLegalTenantTransition,
  TASK_STATUSES,
  TENANT_STATUSES,
  TERMINAL_TASK_STATUSES,
} from './states.js';

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

  it('only a parked task expires, and expired is terminal', () => {
    const into = TASK_STATUSES.filter((from) => isLegalTaskTransition(from, 'expired'));
    expect(into).toEqual(['parked']);
    expect(TERMINAL_TASK_STATUSES.has('expired')).toBe(true);
  });

  it('no state transitions to itself', () => {
    for (const status of TASK_STATUSES) expect(isLegalTaskTransition(status, status)).toBe(false);
  });
});

describe('tenant transitions', () => {
  it('allows exactly the documented edges', () => {
    const allowed = TENANT_STATUSES.flatMap((from) =>
      TENANT_STATUSES.filter((to) => isLegalTenantTransition(from, to)).map((to) => `${from}->${to}`),
    );
    expect(allowed.sort()).toEqual(
      [
        'pending->provisioned',
        'pending->failed',
        'provisioned->active',
        'provisioned->failed',
        'provisioned->provisioned',
        'provisioned->pending',
        'active->provisioned',
        'active->failed',
        'active->pending',
        'failed->pending',
        'failed->provisioned',
      ].sort(),
    );
  });

  it('a tenant becomes active only once provisioned', () => {
    expect(isLegalTenantTransition('pending', 'active')).toBe(false);
    expect(isLegalTenantTransition('failed', 'active')).toBe(false);
  });
});
