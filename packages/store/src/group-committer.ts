import { type Kysely, sql } from 'kysely';
import type { SqliteHotPath } from './dialect/sqlite-hot-path.js';
import type { Database } from './schema.js';
import type { Trx } from './store-context.js';

/** At most this many write operations share one commit (a bound on one group's latency). */
export const MAX_GROUP_SIZE = 128;

interface PendingWrite {
  readonly work: (trx: Trx) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/** What one write of a group came to, known only once the group's COMMIT has returned. */
type Outcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: unknown };

/**
 * Group commit for a database with one synchronous connection (better-sqlite3): the write
 * transactions asked for while the previous group runs are run together in ONE transaction
 * (BEGIN IMMEDIATE … COMMIT, so one fsync), each inside its own SAVEPOINT. A write that fails is
 * rolled back to its savepoint and gets its own error; the others commit. Every caller's promise
 * settles only after that one COMMIT has returned (durable with `synchronous=FULL`), or with the
 * COMMIT's error when it fails: nobody is answered for a change that is not on disk.
 *
 * A group starts on `setImmediate`, and the next one only after another turn of the event loop,
 * so that the requests that arrived while a group ran (better-sqlite3 blocks the loop through
 * its statements and its fsync) are read and join the next group. Writes run in the order they
 * were asked for, each seeing the ones before it: the same outcome as running them one by one.
 */
export class GroupCommitter {
  readonly #db: Kysely<Database>;
  readonly #committed: (writes: number) => void;
  readonly #hotPath: SqliteHotPath | undefined;
  #queue: PendingWrite[] = [];
  #scheduled = false;
  #idle: Promise<void> = Promise.resolve();
  #settleIdle: (() => void) | undefined;

  /**
   * `committed(writes)` is called after each COMMIT that carried at least one successful write;
   * `hotPath`, when given, runs the savepoints synchronously on the transaction's connection.
   */
  constructor(db: Kysely<Database>, committed: (writes: number) => void, hotPath?: SqliteHotPath) {
    this.#db = db;
    this.#committed = committed;
    this.#hotPath = hotPath;
  }

  /** Runs `work` in the next group's transaction; settles after that group's COMMIT. */
  run<T>(work: (trx: Trx) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      this.#schedule();
    });
  }

  /** Resolves once every write asked for so far has settled. */
  idle(): Promise<void> {
    return this.#idle;
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    if (this.#settleIdle === undefined) {
      this.#idle = new Promise((resolve) => {
        this.#settleIdle = resolve;
      });
    }
    setImmediate(() => {
      this.#runGroup().catch(() => {});
    });
  }

  async #runGroup(): Promise<void> {
    const group = this.#queue.splice(0, MAX_GROUP_SIZE);
    let outcomes: Outcome[];
    try {
      outcomes = await this.#db.transaction().execute((trx) => runWrites(trx, group, this.#hotPath));
      const writes = outcomes.filter((outcome) => outcome.ok).length;
      if (writes > 0) this.#committed(writes);
    } catch (error) {
      // BEGIN, a savepoint or the COMMIT failed: nothing of the group is on disk, all get the error.
      outcomes = group.map(() => ({ ok: false, error }));
    }
    group.forEach((write, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) write.resolve(outcome.value);
      else write.reject(outcome.error);
    });
    this.#scheduled = false;
    if (this.#queue.length > 0) {
      this.#schedule();
    } else {
      const settle = this.#settleIdle;
      this.#settleIdle = undefined;
      settle?.();
    }
  }
}

/**
 * The writes of one group in order. One write alone runs as a plain transaction (its failure
 * rolls the whole transaction back, as without grouping); several each get a savepoint.
 */
async function runWrites(
  trx: Trx,
  group: readonly PendingWrite[],
  hotPath: SqliteHotPath | undefined,
): Promise<Outcome[]> {
  if (group.length === 1) return [{ ok: true, value: await group[0]!.work(trx) }];
  const run = async (statement: string) => {
    if (hotPath !== undefined) hotPath.run(statement);
    else await sql.raw(statement).execute(trx);
  };
  const outcomes: Outcome[] = [];
  for (const write of group) {
    await run('savepoint colibri_write');
    try {
      const value = await write.work(trx);
      await run('release colibri_write');
      outcomes.push({ ok: true, value });
    } catch (error) {
      try {
        await run('rollback to colibri_write');
        await run('release colibri_write');
      } catch {
        // The database ended the transaction itself (I/O error, disk full): the whole group fails with the cause.
        throw error;
      }
      outcomes.push({ ok: false, error });
    }
  }
  return outcomes;
}
