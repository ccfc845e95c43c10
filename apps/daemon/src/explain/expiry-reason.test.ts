import type { ParkedReason } from '@colibri/api';
import { describe, expect, it } from 'vitest';
import { expiryReason } from './expiry-reason.js';

const reason = (over: Partial<ParkedReason>): ParkedReason => ({
  candidates: [],
  unmatchedTags: [],
  neverAdvertised: [],
  ...over,
});
const cpu = { agentId: 'a1', agentName: 'cpu-box', missing: ['gpu'] };

describe('expiryReason', () => {
  it('names the wait and the tags no online agent offers', () => {
    expect(expiryReason(30 * 60_000, reason({ candidates: [cpu], unmatchedTags: ['gpu'] }))).toBe(
      'no capable agent within 30m; missing gpu on every online agent',
    );
  });

  it('says when no eligible agent was online at all', () => {
    expect(expiryReason(90_000, reason({}))).toBe(
      'no capable agent within 90s; no eligible agent was online',
    );
  });

  it('names the closest agent when the tags are spread over several', () => {
    const gpu = { agentId: 'a2', agentName: 'gpu-box', missing: ['linux'] };
    expect(expiryReason(3_600_000, reason({ candidates: [cpu, gpu] }))).toBe(
      'no capable agent within 1h; no single online agent had every required tag (closest: cpu-box, lacking gpu)',
    );
  });

  it('uses the skill sentence for a skill nobody offers', () => {
    const text = expiryReason(
      60_000,
      reason({
        candidates: [cpu],
        skill: {
          name: 'render',
          offeredBy: [],
          declinedBy: [{ agentName: 'cpu-box', missing: ['gpu'] }],
          neverOffered: null,
        },
      }),
    );
    expect(text).toBe(
      'no capable agent within 1m; no online agent offers skill render; cpu-box has the handler but lacks gpu',
    );
  });

  it('stays within what the store keeps', () => {
    const many = Array.from({ length: 200 }, (_, i) => `tag-number-${i}`);
    expect(expiryReason(60_000, reason({ candidates: [cpu], unmatchedTags: many })).length).toBe(1000);
  });
});
