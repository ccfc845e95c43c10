import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AgentIndex } from './agent-index.js';
import { arbitraryAgentFields, arbitraryAgents, arbitraryTask } from './arbitrary-fleet.test-helper.js';
import { explainParked } from './explain-parked.js';
import { pickAgent } from './pick-agent.js';
import type { SchedulableAgent } from './schedulable-agent.js';
import { DOMEDOG, HERMES_DEBBY, OPERATOR_IMAGE, SEED_HOSTS } from './seed-hosts.test-helper.js';

type Op =
  | { readonly kind: 'upsert'; readonly agent: SchedulableAgent }
  | { readonly kind: 'remove'; readonly id: string }
  | { readonly kind: 'setLoad'; readonly id: string; readonly load: number };

/** A starting fleet plus a sequence of changes that mostly touch agents that exist. */
const scenario = arbitraryAgents({ duplicateTags: true, maxAgents: 16 }).chain((initial) => {
  const id = fc.constantFrom(...initial.map((a) => a.id), 'new-1', 'new-2', 'new-3');
  const op: fc.Arbitrary<Op> = fc.oneof(
    {
      weight: 3,
      arbitrary: fc
        .tuple(id, arbitraryAgentFields({ duplicateTags: true }))
        .map(([agentId, fields]): Op => ({ kind: 'upsert', agent: { id: agentId, ...fields } })),
    },
    { weight: 1, arbitrary: id.map((agentId): Op => ({ kind: 'remove', id: agentId })) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(id, fc.integer({ min: 0, max: 3 }))
        .map(([agentId, load]): Op => ({ kind: 'setLoad', id: agentId, load })),
    },
  );
  return fc.record({
    initial: fc.constant(initial),
    ops: fc.array(op, { maxLength: 25 }),
    tasks: fc.array(arbitraryTask({ duplicateTags: true }), { minLength: 1, maxLength: 6 }),
  });
});

function expectSameAnswers(
  index: AgentIndex,
  model: ReadonlyMap<string, SchedulableAgent>,
  tasks: readonly Parameters<typeof pickAgent>[0][],
) {
  const fleet = [...model.values()];
  expect(index.size).toBe(model.size);
  for (const task of tasks) {
    expect(index.pick(task)).toEqual(pickAgent(task, fleet));
    expect(index.explainParked(task)).toEqual(explainParked(task, fleet));
  }
}

describe('AgentIndex', () => {
  it('pick and explainParked equal the naive scan after any upsert/remove/setLoad sequence (property)', () => {
    fc.assert(
      fc.property(scenario, ({ initial, ops, tasks }) => {
        const index = new AgentIndex(initial);
        const model = new Map(initial.map((a) => [a.id, a]));
        expectSameAnswers(index, model, tasks);
        for (const op of ops) {
          if (op.kind === 'upsert') {
            index.upsert(op.agent);
            model.set(op.agent.id, op.agent);
          } else if (op.kind === 'remove') {
            expect(index.remove(op.id)).toBe(model.delete(op.id));
          } else {
            const known = model.get(op.id);
            expect(index.setLoad(op.id, op.load)).toBe(known !== undefined);
            if (known !== undefined) model.set(op.id, { ...known, load: op.load });
          }
          expectSameAnswers(index, model, tasks);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('pick equals the naive scan on larger random fleets (property)', () => {
    fc.assert(
      fc.property(
        arbitraryAgents({ maxAgents: 120 }),
        fc.array(arbitraryTask(), { minLength: 1, maxLength: 10 }),
        (agents, tasks) => {
          const index = new AgentIndex(agents);
          for (const task of tasks) expect(index.pick(task)).toEqual(pickAgent(task, agents));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('routes the seed scenario: image-render to domedog, screenshot parks until a display joins', () => {
    const index = new AgentIndex(SEED_HOSTS);
    expect(index.pick({ requiredCapabilities: ['image-render'], tenant: null })?.id).toBe('domedog');
    const screenshot = { requiredCapabilities: ['screenshot'], tenant: 'acme' };
    expect(index.pick(screenshot)).toBeNull();
    expect(index.explainParked(screenshot)).toEqual({
      candidates: SEED_HOSTS.map((a) => ({ agentId: a.id, missing: ['screenshot'] })),
      unmatchedTags: ['screenshot'],
    });
    index.upsert(OPERATOR_IMAGE);
    expect(index.pick(screenshot)?.id).toBe('operator-image');
    index.upsert({ ...OPERATOR_IMAGE, status: 'offline' });
    expect(index.pick(screenshot)).toBeNull();
    expect(index.size).toBe(4);
  });

  it('setLoad steers the next pick and is reflected in get', () => {
    const twin = { ...HERMES_DEBBY, id: 'hermes-debby-2' };
    const index = new AgentIndex([HERMES_DEBBY, twin]);
    const linux = { requiredCapabilities: ['linux', 'docker'], tenant: null };
    expect(index.pick(linux)?.id).toBe('hermes-debby');
    expect(index.setLoad('hermes-debby', 1)).toBe(true);
    expect(index.get('hermes-debby')?.load).toBe(1);
    expect(index.pick(linux)?.id).toBe('hermes-debby-2');
    expect(index.setLoad('nobody', 1)).toBe(false);
  });

  it('keeps a frozen copy: later changes to the caller’s object do not reach it', () => {
    const mutable = { ...DOMEDOG, capabilities: [...DOMEDOG.capabilities] };
    const index = new AgentIndex([mutable]);
    mutable.capabilities.push('screenshot');
    expect(index.pick({ requiredCapabilities: ['screenshot'], tenant: null })).toBeNull();
    expect(Object.isFrozen(index.get('domedog'))).toBe(true);
    expect(Object.isFrozen(index.get('domedog')?.capabilities)).toBe(true);
  });

  it('remove forgets an agent; tenant scopes come and go', () => {
    const acme = { ...HERMES_DEBBY, id: 'acme-1', tenant: 'acme' };
    const index = new AgentIndex([acme]);
    const task = { requiredCapabilities: ['docker'], tenant: 'acme' };
    expect(index.pick(task)?.id).toBe('acme-1');
    expect(index.remove('acme-1')).toBe(true);
    expect(index.remove('acme-1')).toBe(false);
    expect(index.pick(task)).toBeNull();
    expect(index.get('acme-1')).toBeUndefined();
    index.upsert(acme);
    expect(index.pick(task)?.id).toBe('acme-1');
    expect([...index.values()].map((a) => a.id)).toEqual(['acme-1']);
  });

  it('replacing an agent moves it between tenants and lanes', () => {
    const index = new AgentIndex([{ ...DOMEDOG, tenant: 'acme' }]);
    const render = (tenant: string | null) => index.pick({ requiredCapabilities: ['image-render'], tenant });
    expect(render('acme')?.id).toBe('domedog');
    index.upsert({ ...DOMEDOG, tenant: 'globex' });
    expect(render('acme')).toBeNull();
    expect(render('globex')?.id).toBe('domedog');
    index.upsert({ ...DOMEDOG, tenant: 'globex', capabilities: ['linux'] });
    expect(render('globex')).toBeNull();
  });
});
