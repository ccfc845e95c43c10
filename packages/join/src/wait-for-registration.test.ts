import { describe, expect, it } from 'vitest';
import type { HiveAgent } from './hive-port.js';
import { isNewlyRegistered } from './wait-for-registration.js';

const agent = (change: Partial<HiveAgent> = {}): HiveAgent => ({
  id: 'a1',
  name: 'acme-agent',
  tenant: 'acme',
  status: 'idle',
  lastSeenAt: '2026-01-01T00:00:00.000Z',
  ...change,
});

describe('isNewlyRegistered', () => {
  it('a first registration of the right tenant, online', () => {
    expect(isNewlyRegistered(agent(), undefined, 'acme')).toBe(true);
    expect(isNewlyRegistered(undefined, undefined, 'acme')).toBe(false);
    expect(isNewlyRegistered(agent({ tenant: 'beta' }), undefined, 'acme')).toBe(false);
    expect(isNewlyRegistered(agent({ status: 'offline' }), undefined, 'acme')).toBe(false);
  });

  it('a restarted agent still listed online counts only once it was heard from again', () => {
    const before = agent();
    expect(isNewlyRegistered(agent(), before, 'acme')).toBe(false);
    expect(isNewlyRegistered(agent({ lastSeenAt: '2026-01-01T00:00:05.000Z' }), before, 'acme')).toBe(true);
    expect(isNewlyRegistered(agent({ id: 'a2' }), before, 'acme')).toBe(true);
    expect(isNewlyRegistered(agent(), agent({ status: 'offline' }), 'acme')).toBe(true);
  });

  it('without lastSeenAt from the port, status decides', () => {
    const { lastSeenAt: _, ...bare } = agent();
    expect(isNewlyRegistered(bare, bare, 'acme')).toBe(true);
  });
});
