import { describe, expect, it } from 'vitest';
import { agent } from './fixtures.test-helper.js';
import { formatAgentLine, formatAgentTable } from './format-agents.js';

const now = new Date('2026-06-19T12:00:00.000Z');

describe('formatAgentTable', () => {
  it('prints one aligned row per agent; - for a shared lane or no host', () => {
    const text = formatAgentTable(
      [
        agent(),
        agent({
          id: 'a-22',
          name: 'acme-worker',
          host: null,
          tenant: 'acme',
          status: 'active',
          activeTasks: 2,
          slots: 4,
          capabilities: [],
          lastHeartbeatAt: null,
        }),
      ],
      now,
    );
    expect(text.split('\n')).toEqual([
      'ID    NAME         HOST     TENANT  STATUS  LOAD  HEARTBEAT  CAPABILITIES',
      'a-1   domedog      domedog  -       idle    0/1   10s ago    linux,image-render',
      'a-22  acme-worker  -        acme    active  2/4   never      -',
    ]);
  });

  it('shows a retired agent (listed with --retired) as retired', () => {
    const text = formatAgentTable([agent({ status: 'offline', retiredAt: '2026-06-19T11:59:00.000Z' })], now);
    expect(text.split('\n')[1]).toMatch(/^a-1 +domedog +domedog +- +retired +0\/1 /);
  });

  it('says so when there are none', () => {
    expect(formatAgentTable([], now)).toBe('no agents');
  });
});

describe('formatAgentLine', () => {
  it('names the agent, its status and last heartbeat', () => {
    expect(formatAgentLine(agent(), now)).toBe('agent domedog (a-1) is idle, last heartbeat 10s ago');
  });
});
