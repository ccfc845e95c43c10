import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arbitraryAgents, arbitraryTask } from './arbitrary-fleet.test-helper.js';
import { explainParked } from './explain-parked.js';
import { isEligible } from './is-eligible.js';
import { pickAgent } from './pick-agent.js';
import { HERMES_DEBBY, OPERATOR_IMAGE, SEED_HOSTS } from './seed-hosts.test-helper.js';

describe('explainParked', () => {
  it('says every headless host lacks screenshot and that nobody offers it', () => {
    expect(explainParked({ requiredCapabilities: ['screenshot'], tenant: null }, SEED_HOSTS)).toEqual({
      candidates: [
        { agentId: 'domedog', missing: ['screenshot'] },
        { agentId: 'hermes-debby', missing: ['screenshot'] },
        { agentId: 'hermes-osa', missing: ['screenshot'] },
      ],
      unmatchedTags: ['screenshot'],
    });
  });

  it('lists the closest agents first and only the tags nobody offers as unmatched', () => {
    const explained = explainParked({ requiredCapabilities: ['freebsd', 'docker', 'gpu'], tenant: 'acme' }, [
      ...SEED_HOSTS,
      OPERATOR_IMAGE,
    ]);
    expect(explained.candidates).toEqual([
      { agentId: 'hermes-debby', missing: ['freebsd', 'gpu'] },
      { agentId: 'hermes-osa', missing: ['docker', 'gpu'] },
      { agentId: 'operator-image', missing: ['docker', 'gpu'] },
      { agentId: 'domedog', missing: ['freebsd', 'docker', 'gpu'] },
    ]);
    expect(explained.unmatchedTags).toEqual(['gpu']);
  });

  it('never mentions offline agents or other tenants’ agents', () => {
    const explained = explainParked({ requiredCapabilities: ['gpu'], tenant: 'acme' }, [
      { ...HERMES_DEBBY, id: 'globex-gpu', tenant: 'globex', capabilities: ['gpu'] },
      { ...HERMES_DEBBY, id: 'offline-gpu', status: 'offline', capabilities: ['gpu'] },
      { ...HERMES_DEBBY, id: 'acme-cpu', tenant: 'acme' },
    ]);
    expect(explained).toEqual({
      candidates: [{ agentId: 'acme-cpu', missing: ['gpu'] }],
      unmatchedTags: ['gpu'],
    });
  });

  it('with no requirements, nothing is missing', () => {
    expect(explainParked({ requiredCapabilities: [], tenant: null }, SEED_HOSTS).unmatchedTags).toEqual([]);
  });

  it('covers exactly the eligible agents, sorted, with the right missing tags (property)', () => {
    fc.assert(
      fc.property(arbitraryTask(), arbitraryAgents(), (task, agents) => {
        const { candidates, unmatchedTags } = explainParked(task, agents);
        const eligible = agents.filter((a) => isEligible(task, a));
        expect(candidates.map((c) => c.agentId).sort()).toEqual(eligible.map((a) => a.id).sort());
        for (const { agentId, missing } of candidates) {
          const a = eligible.find((e) => e.id === agentId)!;
          expect(missing).toEqual(task.requiredCapabilities.filter((t) => !a.capabilities.includes(t)));
        }
        for (let i = 1; i < candidates.length; i++) {
          const [prev, next] = [candidates[i - 1]!, candidates[i]!];
          expect(
            prev.missing.length < next.missing.length ||
              (prev.missing.length === next.missing.length && prev.agentId < next.agentId),
          ).toBe(true);
        }
        expect(unmatchedTags).toEqual(
          task.requiredCapabilities.filter((t) => !eligible.some((a) => a.capabilities.includes(t))),
        );
        // Parked exactly when no candidate that lacks nothing has a free slot.
        const free = (id: string) => eligible.some((a) => a.id === id && a.load < a.slots);
        expect(pickAgent(task, agents) === null).toBe(
          !candidates.some((c) => c.missing.length === 0 && free(c.agentId)),
        );
      }),
    );
  });
});
