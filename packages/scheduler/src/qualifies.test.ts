import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arbitraryAgents, arbitraryTask, oracleQualifies } from './arbitrary-fleet.test-helper.js';
import { qualifies } from './qualifies.js';
import { DOMEDOG, HERMES_OSA } from './seed-hosts.test-helper.js';

describe('qualifies', () => {
  it('needs eligibility and every required tag', () => {
    expect(qualifies({ requiredCapabilities: ['image-render'], tenant: 'acme' }, DOMEDOG)).toBe(true);
    expect(qualifies({ requiredCapabilities: ['image-render'], tenant: null }, HERMES_OSA)).toBe(false);
    expect(qualifies({ requiredCapabilities: [], tenant: null }, { ...DOMEDOG, status: 'offline' })).toBe(
      false,
    );
    expect(qualifies({ requiredCapabilities: ['linux'], tenant: null }, { ...DOMEDOG, tenant: 'acme' })).toBe(
      false,
    );
  });

  it('matches the rule written out (property)', () => {
    fc.assert(
      fc.property(arbitraryTask(), arbitraryAgents(), (task, agents) => {
        for (const agent of agents) expect(qualifies(task, agent)).toBe(oracleQualifies(task, agent));
      }),
    );
  });
});
