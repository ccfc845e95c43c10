import { describe, expect, it } from 'vitest';
import * as scheduler from './index.js';

describe('@colibri/scheduler', () => {
  it('exports exactly its public API', () => {
    expect(Object.keys(scheduler).sort()).toEqual([
      'AgentIndex',
      'ParkedTaskIndex',
      'capabilityMatchScore',
      'compareParked',
      'explainParked',
      'fairShareOrder',
      'hasFreeSlot',
      'isEligible',
      'parseCapabilities',
      'pickAgent',
      'qualifies',
      'validateCapabilities',
    ]);
  });
});
