import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TaskStatus } from '@colibri/protocol';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqliteAdapter } from '../src/dialect/sqlite-adapter.js';
import { KyselyStore } from '../src/kysely-store.js';
import { openStore } from '../src/open-store.js';
import type { ListTasksFilter } from '../src/store.js';
import * as tasks from '../src/tasks.js';

/**
 * SQLite's `listTasks` reads with one cached statement outside transactions (a poll's held
 * tasks): the same rows in the same order as kysely's query, and never a transaction's
 * uncommitted writes.
 */
const dir = mkdtempSync(join(tmpdir(), 'colibri-store-hot-read-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function storeWithTasks(name: string) {
  const path = join(dir, name, 'colibri.db');
  const seed = await openStore({ driver: 'sqlite', path });
  const agent = await seed.registerAgent({ name: 'a', capabilities: ['linux'], slots: 8 });
  const other = await seed.registerAgent({ name: 'b', capabilities: ['linux'], slots: 8 });
  for (let i = 0; i < 12; i++) {
    const task = await seed.intakeTask({
      title: `t${i}`,
      requiredCapabilities: ['linux'],
      priority: i % 3,
      ...(i % 4 === 1 ? { tenant: 'acme' } : {}),
    });
    if (i % 2 === 0) {
      const assigned = await seed.assignTask({
        taskId: task.id,
        agentId: i % 3 === 0 ? agent.id : other.id,
        expectedAttempt: task.attempt,
        leaseExpiresAt: new Date(Date.now() + 60_000),
      });
      if (i % 3 === 0) {
        await seed.transitionTask({
          taskId: assigned.id,
          to: 'running',
          attempt: assigned.attempt,
          agentId: agent.id,
        });
      }
    }
  }
  await seed.close();
  const adapter = createSqliteAdapter({ driver: 'sqlite', path });
  // Ties on priority and time, so the order falls through to the id as well.
  await sql`update tasks set created_at = '2026-01-01T00:00:00.000Z' where priority != 1`.execute(adapter.db);
  return { adapter, store: new KyselyStore(adapter), agent, other };
}

describe('sqlite listTasks outside a transaction', () => {
  it('reads the same rows in the same order as the kysely query, for every filter shape', async () => {
    const { adapter, store, agent, other } = await storeWithTasks('same');
    try {
      const statuses: (TaskStatus | readonly TaskStatus[] | undefined)[] = [
        undefined,
        'parked',
        'assigned',
        ['assigned', 'running'],
        [],
      ];
      let compared = 0;
      for (const status of statuses) {
        for (const assignedAgentId of [undefined, agent.id, other.id, 'nobody']) {
          for (const limit of [undefined, 1, 3]) {
            const filter: ListTasksFilter = {
              ...(status !== undefined ? { status } : {}),
              ...(assignedAgentId !== undefined ? { assignedAgentId } : {}),
              ...(limit !== undefined ? { limit } : {}),
            };
            const viaKysely = await tasks.listTasks(adapter.db, filter);
            const hot = adapter.hotPath!.selectTasksCommitted({
              ...(status !== undefined ? { status: typeof status === 'string' ? [status] : status } : {}),
              ...(assignedAgentId !== undefined ? { assignedAgentId } : {}),
              limit: limit ?? 1000,
            });
            expect(hot).toBeDefined();
            expect(await store.listTasks(filter)).toEqual(viaKysely);
            if (viaKysely.length > 0) compared++;
          }
        }
      }
      // The seed gives most shapes rows to compare (priorities and times differ, so order matters).
      expect(compared).toBeGreaterThan(20);
      const held = await store.listTasks({ assignedAgentId: agent.id, status: ['assigned', 'running'] });
      expect(held.map((t) => t.status).sort()).toEqual(['running', 'running']);
    } finally {
      await store.close();
    }
  });

  it('inside an open transaction it does not read: the listing waits for the commit', async () => {
    const { adapter, store } = await storeWithTasks('waits');
    try {
      let listing: Promise<string[]> | undefined;
      let settledInside = false;
      await adapter.db.transaction().execute(async (trx) => {
        await sql`update tasks set title = 'uncommitted'`.execute(trx);
        expect(adapter.hotPath!.selectTasksCommitted({ limit: 10 })).toBeUndefined();
        listing = store.listTasks({ status: 'parked' }).then((rows) => rows.map((t) => t.title));
        listing.then(() => {
          settledInside = true;
        });
        await new Promise((resolve) => setTimeout(resolve, 30));
        // Still waiting: it would have read 'uncommitted' rows from the open transaction.
        expect(settledInside).toBe(false);
      });
      const titles = await listing!;
      expect(titles.length).toBeGreaterThan(0);
      expect(new Set(titles)).toEqual(new Set(['uncommitted']));
    } finally {
      await store.close();
    }
  });
});
