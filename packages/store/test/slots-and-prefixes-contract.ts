import { type ErrorCode, isColibriError } from '@colibri/errors';
import { MAX_AGENT_SLOTS } from '@colibri/protocol';
import { describe, expect, it } from 'vitest';
import type { Store } from '../src/index.js';

async function expectCode(promise: Promise<unknown>, code: ErrorCode, message?: RegExp): Promise<void> {
  try {
    await promise;
  } catch (error) {
    if (!isColibriError(error, code)) throw error;
    if (message) expect(error.message).toMatch(message);
    return;
  }
  throw new Error(`expected ${code}, but the call succeeded`);
}

/**
 * Agent slots (migration 0009) and id-prefix lookups: part of the store contract, run on every
 * dialect from `describeStoreContract` with its fresh store.
 */
export function describeSlotsAndPrefixes(store: () => Store): void {
  describe('agent slots', () => {
    it('an agent holds 1 slot unless it says more, and keeps what it said', async () => {
      const one = await store().registerAgent({ name: 'single', capabilities: ['linux'] });
      const three = await store().registerAgent({ name: 'triple', capabilities: ['linux'], slots: 3 });
      expect(one.slots).toBe(1);
      expect(three.slots).toBe(3);
      expect((await store().getAgent(three.id)).slots).toBe(3);
      expect((await store().listAgents()).map((a) => [a.name, a.slots])).toEqual([
        ['single', 1],
        ['triple', 3],
      ]);
    });

    it('setAgentSlots changes the count; bad counts are refused and change nothing', async () => {
      const agent = await store().registerAgent({ name: 'worker', capabilities: [] });
      expect((await store().setAgentSlots(agent.id, 8)).slots).toBe(8);
      for (const bad of [0, -1, 1.5, MAX_AGENT_SLOTS + 1, Number.NaN, '2' as unknown as number]) {
        await expectCode(store().setAgentSlots(agent.id, bad), 'COLIBRI_INVALID_INPUT', /slots/);
      }
      await expectCode(
        store().registerAgent({ name: 'zero', capabilities: [], slots: 0 }),
        'COLIBRI_INVALID_INPUT',
        /slots/,
      );
      expect((await store().getAgent(agent.id)).slots).toBe(8);
      expect((await store().listAgents()).map((a) => a.name)).toEqual(['worker']);
      await expectCode(
        store().setAgentSlots('00000000-0000-4000-8000-000000000000', 2),
        'COLIBRI_AGENT_NOT_FOUND',
      );
    });

    it('a retired agent keeps its slots and cannot change them', async () => {
      const agent = await store().registerAgent({ name: 'gone', capabilities: [], slots: 2 });
      await store().retireAgent(agent.id, { reason: 'test' });
      await expectCode(store().setAgentSlots(agent.id, 4), 'COLIBRI_AGENT_RETIRED');
      expect((await store().getAgent(agent.id)).slots).toBe(2);
    });
  });

  describe('id prefixes', () => {
    it('finds task ids by prefix within a tenant or an agent, smallest first', async () => {
      const a = await store().intakeTask({ title: 'a', requiredCapabilities: [], tenant: 'acme' });
      const b = await store().intakeTask({ title: 'b', requiredCapabilities: [], tenant: 'acme' });
      const other = await store().intakeTask({ title: 'c', requiredCapabilities: [], tenant: 'globex' });
      expect(await store().findTaskIdsByPrefix(a.id)).toEqual([a.id]);
      expect(await store().findTaskIdsByPrefix(a.id.slice(0, 8))).toContain(a.id);
      // Every id starts with a hex digit: the 16 one-digit prefixes partition them.
      const all = (
        await Promise.all([...'0123456789abcdef'].map((d) => store().findTaskIdsByPrefix(d)))
      ).flat();
      expect(all.sort()).toEqual([a.id, b.id, other.id].sort());
      expect(await store().findTaskIdsByPrefix(other.id.slice(0, 6), { tenant: 'acme' })).not.toContain(
        other.id,
      );
      expect(await store().findTaskIdsByPrefix(other.id, { tenant: 'globex' })).toEqual([other.id]);
      expect(await store().findTaskIdsByPrefix(a.id, { tenant: null })).toEqual([]);
      const agent = await store().registerAgent({ name: 'acme-1', capabilities: [], tenant: 'acme' });
      expect(await store().findTaskIdsByPrefix(a.id, { assignedAgentId: agent.id })).toEqual([]);
      await store().assignTask({
        taskId: a.id,
        agentId: agent.id,
        expectedAttempt: 0,
        leaseExpiresAt: new Date(Date.now() + 3_600_000),
      });
      expect(await store().findTaskIdsByPrefix(a.id.slice(0, 6), { assignedAgentId: agent.id })).toEqual([
        a.id,
      ]);
    });

    it('limits the matches and returns them sorted', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 40; i++)
        ids.push((await store().intakeTask({ title: `t${i}`, requiredCapabilities: [] })).id);
      const byDigit = await Promise.all(
        [...'0123456789abcdef'].map((d) => store().findTaskIdsByPrefix(d, { limit: 100 })),
      );
      const biggest = byDigit.reduce((x, y) => (y.length > x.length ? y : x));
      expect(biggest).toEqual([...biggest].sort());
      const digit = biggest[0]![0]!;
      expect(await store().findTaskIdsByPrefix(digit, { limit: 1 })).toEqual([biggest[0]]);
      expect(byDigit.flat().sort()).toEqual(ids.sort());
    });

    it('finds agent ids by prefix, not retired ones', async () => {
      const live = await store().registerAgent({ name: 'live', capabilities: [] });
      const gone = await store().registerAgent({ name: 'gone', capabilities: [], tenant: 'acme' });
      expect(await store().findAgentIdsByPrefix(live.id.slice(0, 6))).toContain(live.id);
      expect(await store().findAgentIdsByPrefix(gone.id, { tenant: 'acme' })).toEqual([gone.id]);
      expect(await store().findAgentIdsByPrefix(live.id, { tenant: 'acme' })).toEqual([]);
      await store().retireAgent(gone.id, { reason: 'test' });
      expect(await store().findAgentIdsByPrefix(gone.id)).toEqual([]);
    });

    it('refuses what cannot start an id (wildcards, upper case, NUL, too long) and finds nothing', async () => {
      await store().intakeTask({ title: 'x', requiredCapabilities: [] });
      for (const bad of ['%', '_', 'ABC', 'a\0', '', 'g', 'a'.repeat(37), 7 as unknown as string]) {
        await expectCode(store().findTaskIdsByPrefix(bad), 'COLIBRI_INVALID_INPUT', /prefix/);
        await expectCode(store().findAgentIdsByPrefix(bad), 'COLIBRI_INVALID_INPUT', /prefix/);
      }
    });
  });
}
