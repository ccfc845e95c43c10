import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AgentIndex } from './agent-index.js';
import {
  arbitraryAgents,
  arbitraryTags,
  arbitraryTask,
  oraclePick,
  oracleQualifies,
} from './arbitrary-fleet.test-helper.js';
import { pickAgent } from './pick-agent.js';
import type { SchedulableAgent, TaskRequirements } from './schedulable-agent.js';
import { DOMEDOG, HERMES_DEBBY, OPERATOR_IMAGE, SEED_HOSTS } from './seed-hosts.test-helper.js';

const agent = (
  id: string,
  capabilities: string[],
  extra: Partial<SchedulableAgent> = {},
): SchedulableAgent => ({
  id,
  capabilities,
  status: 'idle',
  tenant: null,
  load: 0,
  slots: 8,
  ...extra,
});
const task = (requiredCapabilities: string[], tenant: string | null = null): TaskRequirements => ({
  requiredCapabilities,
  tenant,
});

type Picker = (task: TaskRequirements, agents: readonly SchedulableAgent[]) => SchedulableAgent | null;

const pickers: [string, Picker][] = [
  ['pickAgent', pickAgent],
  ['AgentIndex.pick', (t, agents) => new AgentIndex(agents).pick(t)],
];

describe.each(pickers)('%s on the seed hosts', (_name, pick) => {
  it('routes an image-render task to domedog, the media lane', () => {
    expect(pick(task(['image-render']), SEED_HOSTS)?.id).toBe('domedog');
  });

  it('parks a screenshot task while only headless hosts are online', () => {
    expect(pick(task(['screenshot']), SEED_HOSTS)).toBeNull();
  });

  it('routes the screenshot task once an agent with a display joins', () => {
    expect(pick(task(['screenshot']), [...SEED_HOSTS, OPERATOR_IMAGE])?.id).toBe('operator-image');
  });

  it('routes freebsd work to hermes-osa even though it is busy: nobody else qualifies', () => {
    expect(pick(task(['freebsd', 'pf']), SEED_HOSTS)?.id).toBe('hermes-osa');
  });

  it('prefers, for a linux task, the linux host with fewer extra tags', () => {
    // hermes-debby offers 5 tags beyond linux, domedog 6.
    expect(pick(task(['linux']), SEED_HOSTS)?.id).toBe('hermes-debby');
    const lean = agent('lean-linux', ['linux', 'shell']);
    expect(pick(task(['linux']), [...SEED_HOSTS, lean])?.id).toBe('lean-linux');
  });

  it('slots: a full agent is never picked; load is weighed as used/slots', () => {
    const full = agent('a-full', ['gpu'], { load: 1, slots: 1, status: 'active' });
    const roomy = agent('b-roomy', ['gpu'], { load: 2, slots: 4, status: 'active' });
    const half = agent('c-half', ['gpu'], { load: 1, slots: 2, status: 'active' });
    // 2 of 4 and 1 of 2 are the same share: the smaller id wins; a full exact fit never does.
    expect(pickAgent(task(['gpu']), [full, half, roomy])?.id).toBe('b-roomy');
    expect(pickAgent(task(['gpu']), [full, agent('d', ['gpu'], { load: 3, slots: 8 }), half])?.id).toBe('d');
    expect(pickAgent(task(['gpu']), [full])).toBeNull();
    const index = new AgentIndex([full, half, roomy]);
    expect(index.pick(task(['gpu']))?.id).toBe('b-roomy');
    index.setLoad('b-roomy', 4);
    index.setLoad('c-half', 2);
    expect(index.pick(task(['gpu']))).toBeNull();
    index.setLoad('a-full', 0);
    expect(index.pick(task(['gpu']))?.id).toBe('a-full');
  });

  it('fit beats load: a busy exact fit wins over an idle agent with extra tags', () => {
    const busyExact = agent('z-exact', ['gpu'], { load: 5, status: 'active' });
    const idleBroad = agent('a-broad', ['gpu', 'linux'], { load: 0 });
    expect(pick(task(['gpu']), [idleBroad, busyExact])?.id).toBe('z-exact');
  });

  it('breaks a fit tie by least load', () => {
    const busy = agent('a', ['linux', 'go'], { load: 2, status: 'active' });
    const calm = agent('b', ['linux', 'rust'], { load: 1, status: 'active' });
    expect(pick(task(['linux']), [busy, calm])?.id).toBe('b');
  });

  it('breaks a fit and load tie by the smallest id', () => {
    const twin = (id: string) => ({ ...DOMEDOG, id });
    expect(pick(task(['image-render']), [twin('domedog-b'), twin('domedog-a'), twin('domedog-c')])?.id).toBe(
      'domedog-a',
    );
  });

  it('gives a task with no requirements to the leanest online agent, never an offline one', () => {
    const offlineBare = agent('bare', [], { status: 'offline' });
    expect(pick(task([]), [...SEED_HOSTS, offlineBare])?.id).toBe('hermes-debby');
    expect(pick(task([]), [offlineBare])).toBeNull();
    expect(pick(task([]), [])).toBeNull();
  });

  it('keeps tenants apart: own and shared agents only; operator tasks on shared agents only', () => {
    const acme = agent('acme-1', ['linux'], { tenant: 'acme' });
    const globex = agent('globex-1', ['linux'], { tenant: 'globex' });
    expect(pick(task(['linux'], 'acme'), [acme, globex, HERMES_DEBBY])?.id).toBe('acme-1');
    expect(pick(task(['linux'], 'globex'), [acme, globex, HERMES_DEBBY])?.id).toBe('globex-1');
    expect(pick(task(['linux'], 'initech'), [acme, globex, HERMES_DEBBY])?.id).toBe('hermes-debby');
    expect(pick(task(['linux'], null), [acme, globex])).toBeNull();
  });

  it('counts a tag listed twice once', () => {
    const doubled = agent('a', ['linux', 'go', 'go']);
    const single = agent('b', ['linux', 'go']);
    expect(pick(task(['linux', 'linux']), [doubled, single])?.id).toBe('a');
  });
});

describe('pickAgent laws (property)', () => {
  it('a picked agent is online, tenant-compatible and has every required tag', () => {
    fc.assert(
      fc.property(arbitraryTask(), arbitraryAgents(), (t, agents) => {
        const picked = pickAgent(t, agents);
        if (picked === null) return;
        expect(picked.status).not.toBe('offline');
        expect(picked.tenant === null || picked.tenant === t.tenant).toBe(true);
        for (const tag of t.requiredCapabilities) expect(picked.capabilities).toContain(tag);
      }),
    );
  });

  it('returns null only when no agent qualifies with a free slot', () => {
    fc.assert(
      fc.property(arbitraryTask(), arbitraryAgents(), (t, agents) => {
        expect(pickAgent(t, agents) === null).toBe(
          !agents.some((a) => oracleQualifies(t, a) && a.load < a.slots),
        );
      }),
    );
  });

  it('picks the first qualifying agent with a free slot by (fewest extra tags, least load/slots, smallest id)', () => {
    fc.assert(
      fc.property(
        arbitraryTask({ duplicateTags: true }),
        arbitraryAgents({ duplicateTags: true }),
        (t, agents) => {
          expect(pickAgent(t, agents)).toBe(oraclePick(t, agents));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('does not depend on the order of the agents', () => {
    const shuffled = arbitraryAgents().chain((agents) =>
      fc.tuple(fc.constant(agents), fc.shuffledSubarray(agents, { minLength: agents.length })),
    );
    fc.assert(
      fc.property(arbitraryTask(), shuffled, (t, [agents, permuted]) => {
        expect(pickAgent(t, permuted)).toBe(pickAgent(t, agents));
        expect(pickAgent(t, [...agents].reverse())).toBe(pickAgent(t, agents));
      }),
    );
  });

  it('adding required tags never makes an unqualified agent qualify', () => {
    fc.assert(
      fc.property(arbitraryTask(), arbitraryTags, arbitraryAgents(), (t, more, agents) => {
        const stricter = task([...new Set([...t.requiredCapabilities, ...more])], t.tenant);
        for (const a of agents) {
          if (!oracleQualifies(t, a)) expect(oracleQualifies(stricter, a)).toBe(false);
        }
        const picked = pickAgent(stricter, agents);
        if (picked !== null) {
          expect(oracleQualifies(t, picked)).toBe(true);
          expect(pickAgent(t, agents)).not.toBeNull();
        }
      }),
    );
  });

  it('a task with no requirements goes to some online agent whenever one is eligible and has a free slot', () => {
    fc.assert(
      fc.property(fc.constantFrom('acme', 'globex', null), arbitraryAgents(), (tenant, agents) => {
        const t = task([], tenant);
        const eligible = agents.filter((a) => oracleQualifies(t, a) && a.load < a.slots);
        const picked = pickAgent(t, agents);
        expect(picked === null).toBe(eligible.length === 0);
        if (picked !== null) expect(eligible).toContain(picked);
      }),
    );
  });

  it('never picks an offline agent, and picks nothing when every agent is offline', () => {
    fc.assert(
      fc.property(arbitraryTask(), arbitraryAgents(), (t, agents) => {
        expect(pickAgent(t, agents)?.status).not.toBe('offline');
        const offline = agents.map((a) => ({ ...a, status: 'offline' as const }));
        expect(pickAgent(t, offline)).toBeNull();
      }),
    );
  });

  it('tenant isolation: a tenant task never reaches another tenant; an operator task only shared agents', () => {
    fc.assert(
      fc.property(arbitraryTask(), arbitraryAgents(), (t, agents) => {
        const picked = pickAgent(t, agents);
        if (picked === null) return;
        if (t.tenant === null) expect(picked.tenant).toBeNull();
        else expect([t.tenant, null]).toContain(picked.tenant);
      }),
    );
  });
});
