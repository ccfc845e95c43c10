import { isColibriError } from '@colibri/errors';
import { describe, expect, it } from 'vitest';
import type { Store } from '../src/index.js';

const T0 = new Date('2026-06-01T12:00:00.000Z');
const lease = () => new Date(T0.getTime() + 60_000);

/**
 * A poll claiming what it returns (`claimTasks`, issue 14 item 5): part of the store contract,
 * run on every dialect from `describeStoreContract` with its fresh store.
 */
export function describeClaimContract(store: () => Store): void {
  let intakes = 0;
  async function assigned(agentId: string, title: string) {
    // Each taken in a millisecond after the one before: dispatch order is then intake order.
    const at = new Date(T0.getTime() + ++intakes);
    const task = await store().intakeTask({ title, requiredCapabilities: ['linux'], at });
    return store().assignTask({
      taskId: task.id,
      agentId,
      expectedAttempt: task.attempt,
      leaseExpiresAt: lease(),
    });
  }

  describe('claiming poll', () => {
    it('moves the assigned attempts to running in one go, with the same event a running report writes', async () => {
      const agent = await store().registerAgent({ name: 'kiln', capabilities: ['linux'], slots: 2 });
      const one = await assigned(agent.id, 'one');
      const two = await assigned(agent.id, 'two');
      const at = new Date(T0.getTime() + 5000);
      const claimed = await store().claimTasks({
        agentId: agent.id,
        tasks: [
          { taskId: two.id, attempt: two.attempt },
          { taskId: one.id, attempt: one.attempt },
        ],
        at,
      });
      // In the order asked, running, the attempt (fencing token) unchanged, the lease kept.
      expect(claimed.map((t) => [t.id, t.status, t.attempt])).toEqual([
        [two.id, 'running', 1],
        [one.id, 'running', 1],
      ]);
      expect(claimed[0]!.updatedAt).toEqual(at);
      expect(claimed[0]!.leaseExpiresAt).toEqual(lease());
      expect((await store().getTask(one.id)).status).toBe('running');
      const events = await store().listTaskEvents(one.id);
      expect(events.map((e) => [e.from, e.to, e.agentId, e.attempt])).toEqual([
        [null, 'parked', null, 0],
        ['parked', 'assigned', agent.id, 1],
        ['assigned', 'running', agent.id, 1],
      ]);
      expect(events.at(-1)!.reason).toBeNull();
      expect((await store().getAgent(agent.id)).status).toBe('active');
      // Running now: the agent's done report is the next (and last) step.
      const done = await store().transitionTask({
        taskId: one.id,
        to: 'done',
        agentId: agent.id,
        attempt: 1,
      });
      expect(done.status).toBe('done');
    });

    it('claims only what is still assigned to that agent at that attempt; the rest is left alone', async () => {
      const agent = await store().registerAgent({ name: 'kiln', capabilities: ['linux'], slots: 4 });
      const other = await store().registerAgent({ name: 'oven', capabilities: ['linux'] });
      const mine = await assigned(agent.id, 'mine');
      const theirs = await assigned(other.id, 'theirs');
      const cancelled = await assigned(agent.id, 'cancelled');
      await store().transitionTask({ taskId: cancelled.id, to: 'cancelled' });
      const running = await assigned(agent.id, 'running');
      await store().transitionTask({ taskId: running.id, to: 'running', agentId: agent.id, attempt: 1 });
      const requeued = await assigned(agent.id, 'requeued');
      await store().transitionTask({ taskId: requeued.id, to: 'parked' });
      const again = await store().assignTask({
        taskId: requeued.id,
        agentId: agent.id,
        expectedAttempt: 1,
        leaseExpiresAt: lease(),
      });
      expect(again.attempt).toBe(2);
      const claimed = await store().claimTasks({
        agentId: agent.id,
        tasks: [
          { taskId: mine.id, attempt: 1 },
          { taskId: theirs.id, attempt: 1 },
          { taskId: cancelled.id, attempt: 1 },
          { taskId: running.id, attempt: 1 },
          // A stale attempt: the task lives on in attempt 2, which this claim does not name.
          { taskId: requeued.id, attempt: 1 },
          { taskId: '00000000-0000-4000-8000-000000000000', attempt: 1 },
          { taskId: 'not an id', attempt: 1 },
        ],
      });
      expect(claimed.map((t) => t.id)).toEqual([mine.id]);
      expect((await store().getTask(theirs.id)).status).toBe('assigned');
      expect((await store().getTask(cancelled.id)).status).toBe('cancelled');
      expect(await store().getTask(requeued.id)).toMatchObject({ status: 'assigned', attempt: 2 });
      // The running one got no second running event.
      expect((await store().listTaskEvents(running.id)).filter((e) => e.to === 'running')).toHaveLength(1);
      expect((await store().listTaskEvents(theirs.id)).map((e) => e.to)).toEqual(['parked', 'assigned']);
      // A second claim of the same attempt finds nothing to move.
      expect(
        await store().claimTasks({ agentId: agent.id, tasks: [{ taskId: mine.id, attempt: 1 }] }),
      ).toEqual([]);
      expect((await store().listTaskEvents(mine.id)).filter((e) => e.to === 'running')).toHaveLength(1);
    });

    it('bad input is refused and changes nothing; an empty claim is a no-op', async () => {
      const agent = await store().registerAgent({ name: 'kiln', capabilities: ['linux'] });
      const task = await assigned(agent.id, 'one');
      for (const bad of [
        { agentId: agent.id, tasks: [{ taskId: task.id, attempt: 1.5 }] },
        { agentId: agent.id, tasks: [{ taskId: task.id }] },
        { agentId: agent.id, tasks: 'all' },
        { tasks: [{ taskId: task.id, attempt: 1 }] },
      ]) {
        const error = await store()
          .claimTasks(bad as never)
          .catch((e: unknown) => e);
        expect(isColibriError(error, 'COLIBRI_INVALID_INPUT')).toBe(true);
      }
      expect(await store().claimTasks({ agentId: agent.id, tasks: [] })).toEqual([]);
      expect((await store().getTask(task.id)).status).toBe('assigned');
      expect((await store().listTaskEvents(task.id)).map((e) => e.to)).toEqual(['parked', 'assigned']);
    });
  });

  describe('claiming poll: read and claim together (claimHeldTasks)', () => {
    it('returns the held tasks in dispatch order with up to `limit` assigned ones claimed', async () => {
      const agent = await store().registerAgent({ name: 'kiln', capabilities: ['linux'], slots: 4 });
      const other = await store().registerAgent({ name: 'oven', capabilities: ['linux'] });
      const first = await assigned(agent.id, 'first');
      const second = await assigned(agent.id, 'second');
      const urgent = await store().assignTask({
        taskId: (
          await store().intakeTask({ title: 'urgent', requiredCapabilities: ['linux'], priority: 5, at: T0 })
        ).id,
        agentId: agent.id,
        expectedAttempt: 0,
        leaseExpiresAt: lease(),
      });
      const theirs = await assigned(other.id, 'theirs');
      const at = new Date(T0.getTime() + 5000);
      const held = await store().claimHeldTasks({ agentId: agent.id, limit: 2, at });
      // Dispatch order: the higher priority first, then the oldest.
      expect(held.tasks.map((t) => [t.id, t.status])).toEqual([
        [urgent.id, 'running'],
        [first.id, 'running'],
        [second.id, 'assigned'],
      ]);
      expect(held.claimed.map((t) => [t.id, t.status, t.attempt])).toEqual([
        [urgent.id, 'running', 1],
        [first.id, 'running', 1],
      ]);
      expect(held.claimed[0]!.updatedAt).toEqual(at);
      expect(held.claimed[0]!.leaseExpiresAt).toEqual(lease());
      expect(
        (await store().listTaskEvents(first.id)).map((e) => [e.from, e.to, e.agentId, e.attempt]),
      ).toEqual([
        [null, 'parked', null, 0],
        ['parked', 'assigned', agent.id, 1],
        ['assigned', 'running', agent.id, 1],
      ]);
      expect((await store().getTask(second.id)).status).toBe('assigned');
      expect((await store().getTask(theirs.id)).status).toBe('assigned');
      // Again: the running ones are read, not claimed twice; the one still assigned is claimed now.
      const again = await store().claimHeldTasks({ agentId: agent.id, limit: 5 });
      expect(again.claimed.map((t) => t.id)).toEqual([second.id]);
      expect(again.tasks.map((t) => t.status)).toEqual(['running', 'running', 'running']);
      expect((await store().listTaskEvents(first.id)).filter((e) => e.to === 'running')).toHaveLength(1);
      // Nothing left to claim: a read.
      const read = await store().claimHeldTasks({ agentId: agent.id, limit: 5 });
      expect(read.claimed).toEqual([]);
      expect(read.tasks.map((t) => t.id)).toEqual([urgent.id, first.id, second.id]);
    });

    it('claims nothing with limit 0, or when `unlessHolding` names exactly the attempts held', async () => {
      const agent = await store().registerAgent({ name: 'kiln', capabilities: ['linux'], slots: 3 });
      const one = await assigned(agent.id, 'one');
      const two = await assigned(agent.id, 'two');
      expect((await store().claimHeldTasks({ agentId: agent.id, limit: 0 })).claimed).toEqual([]);
      const same = await store().claimHeldTasks({
        agentId: agent.id,
        limit: 2,
        unlessHolding: [
          { taskId: two.id, attempt: 1 },
          { taskId: one.id, attempt: 1 },
          { taskId: one.id, attempt: 1 },
        ],
      });
      expect(same.claimed).toEqual([]);
      expect(same.tasks.map((t) => [t.id, t.status])).toEqual([
        [one.id, 'assigned'],
        [two.id, 'assigned'],
      ]);
      // A set that differs (an attempt the agent does not hold, or one missing) claims.
      const stale = await store().claimHeldTasks({
        agentId: agent.id,
        limit: 1,
        unlessHolding: [
          { taskId: one.id, attempt: 2 },
          { taskId: two.id, attempt: 1 },
        ],
      });
      expect(stale.claimed.map((t) => t.id)).toEqual([one.id]);
      const fewer = await store().claimHeldTasks({
        agentId: agent.id,
        limit: 1,
        unlessHolding: [{ taskId: one.id, attempt: 1 }],
      });
      expect(fewer.claimed.map((t) => t.id)).toEqual([two.id]);
      expect((await store().listTaskEvents(two.id)).map((e) => e.to)).toEqual([
        'parked',
        'assigned',
        'running',
      ]);
    });

    it('an agent with nothing, an unknown agent and bad input', async () => {
      const agent = await store().registerAgent({ name: 'kiln', capabilities: ['linux'] });
      expect(await store().claimHeldTasks({ agentId: agent.id, limit: 1 })).toEqual({
        tasks: [],
        claimed: [],
      });
      expect(
        await store().claimHeldTasks({ agentId: '00000000-0000-4000-8000-000000000000', limit: 1 }),
      ).toEqual({ tasks: [], claimed: [] });
      expect(await store().claimHeldTasks({ agentId: 'not an id', limit: 1 })).toEqual({
        tasks: [],
        claimed: [],
      });
      const task = await assigned(agent.id, 'one');
      for (const bad of [
        { agentId: agent.id, limit: -1 },
        { agentId: agent.id, limit: 1.5 },
        { agentId: agent.id },
        { agentId: agent.id, limit: 1, unlessHolding: [{ taskId: task.id }] },
        { limit: 1 },
      ]) {
        const error = await store()
          .claimHeldTasks(bad as never)
          .catch((e: unknown) => e);
        expect(isColibriError(error, 'COLIBRI_INVALID_INPUT')).toBe(true);
      }
      expect((await store().getTask(task.id)).status).toBe('assigned');
    });
  });
}
