import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TENANTS } from './arbitrary-fleet.test-helper.js';
import { fairShareOrder } from './fair-share-order.js';
import { compareParked, type ParkedTask } from './parked-task-index.js';

const task = (id: string, tenant: string | null, createdAt: number, priority = 0): ParkedTask => ({
  id,
  tenant,
  requiredCapabilities: [],
  priority,
  createdAt,
  attempt: 0,
});

const ids = (tasks: readonly ParkedTask[]) => tasks.map((t) => t.id);

const arbitraryTasks: fc.Arbitrary<ParkedTask[]> = fc.uniqueArray(
  fc
    .tuple(
      fc.integer({ min: 0, max: 10_000 }),
      fc.constantFrom(...TENANTS),
      fc.integer({ min: 0, max: 5 }),
      fc.integer({ min: -1, max: 1 }),
    )
    .map(([n, tenant, createdAt, priority]) => task(`t${n}`, tenant, createdAt, priority)),
  { selector: (t) => t.id, maxLength: 40 },
);

const arbitraryServed = fc
  .uniqueArray(fc.constantFrom(...TENANTS), { maxLength: 3 })
  .chain((tenants) =>
    fc
      .tuple(...tenants.map(() => fc.integer({ min: 0, max: 100 })))
      .map((serials) => new Map<string | null, number>(tenants.map((t, i) => [t, serials[i]!]))),
  );

describe('fairShareOrder', () => {
  it("one tenant's 10,000-task backlog does not starve another tenant's single task", () => {
    const backlog = Array.from({ length: 10_000 }, (_, i) => task(`a${i}`, 'acme', i));
    const single = task('b0', 'globex', 20_000);
    // Never served either: acme's oldest goes first, then it is globex's turn.
    expect(ids(fairShareOrder([...backlog, single], new Map(), 3))).toEqual(['a0', 'b0', 'a1']);
    // acme was just served: globex goes first.
    expect(ids(fairShareOrder([single, ...backlog], new Map([['acme', 7]]), 2))).toEqual(['b0', 'a0']);
    // Both served before, globex longer ago.
    expect(
      ids(
        fairShareOrder(
          [...backlog, single],
          new Map([
            ['acme', 9],
            ['globex', 3],
          ]),
          1,
        ),
      ),
    ).toEqual(['b0']);
  });

  it('tenants take turns at equal priority, least recently served first, each in its own age order', () => {
    const tasks = [
      task('a1', 'acme', 1),
      task('a2', 'acme', 2),
      task('a3', 'acme', 3),
      task('g1', 'globex', 5),
      task('g2', 'globex', 6),
      task('o1', null, 9),
    ];
    expect(ids(fairShareOrder(tasks, new Map()))).toEqual(['a1', 'g1', 'o1', 'a2', 'g2', 'a3']);
    expect(
      ids(
        fairShareOrder(
          tasks,
          new Map([
            [null, 1],
            ['globex', 2],
            ['acme', 3],
          ]),
        ),
      ),
    ).toEqual(['o1', 'g1', 'a1', 'g2', 'a2', 'a3']);
  });

  it('priority still wins across tenants', () => {
    const tasks = [task('a1', 'acme', 1), task('a2', 'acme', 2, 5), task('g1', 'globex', 0)];
    expect(ids(fairShareOrder(tasks, new Map([['globex', 1]])))).toEqual(['a2', 'g1', 'a1']);
  });

  it('returns a prefix of a permutation: every task at most once, min(limit, n) of them (property)', () => {
    fc.assert(
      fc.property(
        arbitraryTasks,
        arbitraryServed,
        fc.integer({ min: 0, max: 50 }),
        (tasks, served, limit) => {
          const out = fairShareOrder(tasks, served, limit);
          expect(out).toHaveLength(Math.min(limit, tasks.length));
          expect(new Set(ids(out)).size).toBe(out.length);
          for (const t of out) expect(tasks).toContain(t);
          // A longer limit only extends the order.
          expect(ids(fairShareOrder(tasks, served, limit + 3)).slice(0, out.length)).toEqual(ids(out));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("keeps each tenant's own tasks in dispatch order, and does not depend on the input order (property)", () => {
    fc.assert(
      fc.property(arbitraryTasks, arbitraryServed, (tasks, served) => {
        const out = fairShareOrder(tasks, served);
        for (const tenant of TENANTS) {
          const own = tasks.filter((t) => t.tenant === tenant).sort(compareParked);
          expect(ids(out.filter((t) => t.tenant === tenant))).toEqual(ids(own));
        }
        expect(ids(fairShareOrder([...tasks].reverse(), served))).toEqual(ids(out));
      }),
      { numRuns: 300 },
    );
  });

  it('at equal priority, no prefix gives a tenant with work left more than one task fewer than another (property)', () => {
    fc.assert(
      fc.property(arbitraryTasks, arbitraryServed, (tasks, served) => {
        const flat = tasks.map((t) => ({ ...t, priority: 0 }));
        const out = fairShareOrder(flat, served);
        const total = new Map<string | null, number>();
        for (const t of flat) total.set(t.tenant, (total.get(t.tenant) ?? 0) + 1);
        const taken = new Map<string | null, number>();
        for (const t of out) {
          taken.set(t.tenant, (taken.get(t.tenant) ?? 0) + 1);
          for (const [x, nx] of total) {
            for (const [y, ny] of total) {
              const tx = taken.get(x) ?? 0;
              const ty = taken.get(y) ?? 0;
              // While y still has work, x is never more than one turn ahead of y.
              if (ty < ny && tx <= nx) expect(tx - ty).toBeLessThanOrEqual(1);
            }
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('changes neither argument', () => {
    const tasks = [task('b', 'acme', 2), task('a', 'acme', 1), task('g', 'globex', 0)];
    const copy = structuredClone(tasks);
    const served = new Map([['acme', 1]]);
    fairShareOrder(tasks, served);
    expect(tasks).toEqual(copy);
    expect([...served]).toEqual([['acme', 1]]);
  });
});
