import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arbitraryAgentFields, arbitraryId, arbitraryTask } from './arbitrary-fleet.test-helper.js';
import { fairShareOrder } from './fair-share-order.js';
import { compareParked, type ParkedTask, ParkedTaskIndex } from './parked-task-index.js';
import { qualifies } from './qualifies.js';
import type { SchedulableAgent } from './schedulable-agent.js';

const arbitraryParked: fc.Arbitrary<ParkedTask> = fc
  .tuple(
    arbitraryId,
    arbitraryTask({ duplicateTags: true }),
    fc.integer({ min: -1, max: 1 }),
    fc.integer({ min: 0, max: 3 }),
    fc.integer({ min: 0, max: 2 }),
  )
  .map(([id, task, priority, createdAt, attempt]) => ({ id, ...task, priority, createdAt, attempt }));

type Op = { kind: 'upsert'; task: ParkedTask } | { kind: 'remove'; id: string };

const arbitraryOps: fc.Arbitrary<Op[]> = fc.array(
  fc.oneof(
    { weight: 4, arbitrary: arbitraryParked.map((task): Op => ({ kind: 'upsert', task })) },
    { weight: 1, arbitrary: arbitraryId.map((id): Op => ({ kind: 'remove', id })) },
  ),
  { maxLength: 40 },
);

const agentArb: fc.Arbitrary<SchedulableAgent> = arbitraryAgentFields({ duplicateTags: true }).map((f) => ({
  id: 'agent',
  ...f,
}));

/** The reference: every held task the agent qualifies for, sorted. */
function reference(held: Map<string, ParkedTask>, agent: SchedulableAgent, limit: number): ParkedTask[] {
  return [...held.values()]
    .filter((task) => qualifies(task, agent) && agent.load < agent.slots)
    .sort(compareParked)
    .slice(0, limit);
}

describe('ParkedTaskIndex', () => {
  it('runnableBy with lastServed returns the fair-share order of what a full scan would find (property)', () => {
    const served = fc
      .uniqueArray(fc.constantFrom('acme', 'globex', null), { maxLength: 3 })
      .map((tenants) => new Map<string | null, number>(tenants.map((t, i) => [t, i + 1])));
    fc.assert(
      fc.property(
        arbitraryOps,
        agentArb,
        fc.integer({ min: 0, max: 12 }),
        served,
        (ops, agent, limit, last) => {
          const index = new ParkedTaskIndex();
          const held = new Map<string, ParkedTask>();
          for (const op of ops) {
            if (op.kind === 'upsert') {
              index.upsert(op.task);
              held.set(op.task.id, op.task);
            } else {
              index.remove(op.id);
              held.delete(op.id);
            }
          }
          const all = reference(held, agent, Number.POSITIVE_INFINITY);
          expect(index.runnableBy(agent, limit, last).map((t) => `${t.id}#${t.attempt}`)).toEqual(
            fairShareOrder(all, last, limit).map((t) => `${t.id}#${t.attempt}`),
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  it('runnableBy returns what a full scan would, in priority-then-age order, after any upserts and removals', () => {
    fc.assert(
      fc.property(
        arbitraryOps,
        fc.array(agentArb, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 0, max: 12 }),
        (ops, agents, limit) => {
          const index = new ParkedTaskIndex();
          const held = new Map<string, ParkedTask>();
          for (const op of ops) {
            if (op.kind === 'upsert') {
              index.upsert(op.task);
              held.set(op.task.id, op.task);
            } else {
              expect(index.remove(op.id)).toBe(held.delete(op.id));
            }
          }
          expect(index.size).toBe(held.size);
          for (const agent of agents) {
            expect(index.runnableBy(agent, limit).map((t) => `${t.id}#${t.attempt}`)).toEqual(
              reference(held, agent, limit).map((t) => `${t.id}#${t.attempt}`),
            );
          }
          let grouped = 0;
          for (const group of index.groups()) grouped += group.size;
          expect(grouped).toBe(held.size);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('taking thousands best first, re-parking some, keeps the order (the head offset and its compaction)', () => {
    const index = new ParkedTaskIndex();
    const held = new Map<string, ParkedTask>();
    const agent: SchedulableAgent = {
      id: 'a',
      capabilities: ['linux'],
      status: 'idle',
      tenant: null,
      load: 0,
      slots: 1,
    };
    for (let i = 0; i < 3000; i++) {
      const task: ParkedTask = {
        id: `t${i}`,
        tenant: null,
        requiredCapabilities: ['linux'],
        priority: i % 2,
        createdAt: i,
        attempt: 0,
      };
      index.upsert(task);
      held.set(task.id, task);
    }
    for (let round = 0; round < 12; round++) {
      const taken = index.runnableBy(agent, 250);
      expect(taken).toEqual(reference(held, agent, 250));
      for (const task of taken) {
        index.remove(task.id);
        held.delete(task.id);
      }
      // A few come back (re-queued with a new attempt), at their old place in the order.
      for (const task of taken.slice(0, 10)) {
        const again = { ...task, attempt: task.attempt + 1 };
        index.upsert(again);
        held.set(again.id, again);
      }
    }
    expect(index.size).toBe(held.size);
    expect(index.runnableBy(agent, 5000)).toEqual(reference(held, agent, 5000));
  });

  it('a sweep drops exactly the tasks it did not see', () => {
    const index = new ParkedTaskIndex();
    const task = (id: string): ParkedTask => ({
      id,
      tenant: null,
      requiredCapabilities: ['linux'],
      priority: 0,
      createdAt: 1,
      attempt: 0,
    });
    index.upsert(task('a'));
    index.upsert(task('b'));
    const generation = index.beginSweep();
    index.upsert(task('a')); // seen by the sweep
    index.upsert(task('c')); // parked while the sweep ran
    expect(index.endSweep(generation)).toBe(1);
    expect([...['a', 'b', 'c']].filter((id) => index.get(id) !== undefined)).toEqual(['a', 'c']);
  });

  it('finds the few runnable tasks among 100,000 that need tags nobody offers, without looking at them', () => {
    const index = new ParkedTaskIndex();
    for (let i = 0; i < 100_000; i++) {
      index.upsert({
        id: `old-${String(i).padStart(6, '0')}`,
        tenant: i % 2 === 0 ? 'acme' : null,
        requiredCapabilities: ['linux', `never-${i % 500}`],
        priority: 0,
        createdAt: i,
        attempt: 0,
      });
    }
    for (let i = 0; i < 200; i++) {
      index.upsert({
        id: `late-${i}`,
        tenant: 'acme',
        requiredCapabilities: ['late'],
        priority: i % 2,
        createdAt: 200_000 + i,
        attempt: 0,
      });
    }
    const agent: SchedulableAgent = {
      id: 'x',
      capabilities: ['linux', 'late'],
      status: 'idle',
      tenant: 'acme',
      load: 0,
      slots: 1,
    };
    const runnable = index.runnableBy(agent, 1000);
    expect(runnable).toHaveLength(200);
    // Priority 1 first (the odd ones), each priority oldest first.
    expect(runnable[0]?.id).toBe('late-1');
    expect(runnable[99]?.id).toBe('late-199');
    expect(runnable[100]?.id).toBe('late-0');
    const other: SchedulableAgent = { ...agent, capabilities: ['linux'] };
    expect(index.runnableBy(other, 1000)).toEqual([]);
  });
});
