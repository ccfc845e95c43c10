import { describe, expect, it } from 'vitest';
import { isEligible, isOnline } from './is-eligible.js';
import type { SchedulableAgent } from './schedulable-agent.js';

const agent = (status: SchedulableAgent['status'], tenant: string | null): SchedulableAgent => ({
  id: 'a',
  capabilities: [],
  status,
  tenant,
  load: 0,
  slots: 1,
});

describe('isEligible', () => {
  it.each([
    // task tenant, agent tenant, agent status, eligible
    ['acme', 'acme', 'idle', true],
    ['acme', null, 'active', true],
    ['acme', 'globex', 'idle', false],
    [null, null, 'idle', true],
    [null, 'acme', 'idle', false],
    ['acme', 'acme', 'offline', false],
    [null, null, 'offline', false],
  ] as const)('task of %j, agent of %j (%s): %s', (taskTenant, agentTenant, status, expected) => {
    expect(isEligible({ requiredCapabilities: [], tenant: taskTenant }, agent(status, agentTenant))).toBe(
      expected,
    );
  });

  it('ignores tags: eligibility is only online + tenant', () => {
    expect(isEligible({ requiredCapabilities: ['gpu'], tenant: null }, agent('idle', null))).toBe(true);
  });

  it('isOnline: idle and active are online', () => {
    expect([
      isOnline(agent('idle', null)),
      isOnline(agent('active', null)),
      isOnline(agent('offline', null)),
    ]).toEqual([true, true, false]);
  });
});
