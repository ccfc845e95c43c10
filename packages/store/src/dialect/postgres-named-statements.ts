/** How many distinct SQL texts get a name (and so a server-side prepared statement per connection). */
const MAX_NAMED = 256;
/** How many texts seen once are remembered while waiting for a second use. */
const MAX_SEEN = 4096;

/** The SQLSTATE and message PostgreSQL answers when a prepared `SELECT *` meets a changed table. */
const RESULT_TYPE_CHANGED = /cached plan must not change result type/;

/** True when `error` is PostgreSQL refusing to run a prepared statement whose table changed shape. */
export function isStalePreparedStatement(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  return e?.code === '0A000' && typeof e.message === 'string' && RESULT_TYPE_CHANGED.test(e.message);
}

/**
 * Which SQL texts run as named (server-side prepared) statements: a text used a second time gets
 * a name, up to {@link MAX_NAMED} texts per process; later ones, and texts used once (such as a
 * multi-row insert of an unusual size), stay unnamed. One instance per store; the names are
 * per process, the prepared statements per connection (pg keeps track of which it has parsed).
 */
export class StatementNames {
  readonly #names = new Map<string, string>();
  readonly #seen = new Set<string>();
  #generation = 0;

  /**
   * Bumped when the server refused a stale statement: every client's names are then new, so the
   * store's retry of a transaction does not meet the same stale statement on another pooled
   * connection (each would refuse once, and a pool is larger than the retries).
   */
  get generation(): number {
    return this.#generation;
  }

  /** A statement named under `generation` was stale: later queries, on every client, use new names. */
  stale(generation: number): void {
    if (generation === this.#generation) this.#generation++;
  }

  /** The name `text` runs under, or undefined to run it unnamed. */
  nameOf(text: string): string | undefined {
    const name = this.#names.get(text);
    if (name !== undefined || this.#names.size >= MAX_NAMED) return name;
    if (!this.#seen.has(text)) {
      if (this.#seen.size >= MAX_SEEN) this.#seen.clear();
      this.#seen.add(text);
      return undefined;
    }
    this.#seen.delete(text);
    const named = `colibri_${this.#names.size}`;
    this.#names.set(text, named);
    return named;
  }
}

/** kysely's BEGIN (with or without an isolation level) and its COMMIT / ROLLBACK (not ROLLBACK TO a savepoint). */
const OPENS_TRANSACTION = /^\s*(begin|start transaction)\b/i;
const ENDS_TRANSACTION = /^\s*(commit|rollback)\s*$/i;

type QueryFn = (...args: unknown[]) => Promise<unknown>;
interface QueryableClient {
  query: QueryFn;
}

/**
 * Makes `client` (a pooled pg client) run each parameterized query of a known text as a named
 * statement, `{ name, text, values }`: PostgreSQL then parses and plans it once per connection
 * instead of on every call (a third of the server's CPU per task lifecycle in the benchmark), and
 * after five runs keeps a generic plan when that is no worse. Queries without parameters (BEGIN,
 * COMMIT, SET) and calls with a callback go through as they are.
 *
 * A statement prepared before a migration changed its table's columns is refused by the server
 * (`cached plan must not change result type`): every client then forgets the names it prepared
 * (later queries prepare under fresh names, {@link StatementNames.generation}) and runs the query again when it was its own
 * transaction; inside a transaction the error goes up, and the store runs the whole transaction
 * again (`isRetryable`), the rolled-back one having had no effect.
 */
export function nameStatementsOn(client: QueryableClient, names: StatementNames): void {
  const query = client.query.bind(client) as QueryFn;
  let inTransaction = false;
  const run = (name: string, generation: number, text: string, values: unknown[]) =>
    query({ name: generation === 0 ? name : `${name}_${generation}`, text, values });
  client.query = (async (text: unknown, values?: unknown, callback?: unknown) => {
    if (
      typeof text === 'string' &&
      (values === undefined || (Array.isArray(values) && values.length === 0))
    ) {
      if (OPENS_TRANSACTION.test(text)) inTransaction = true;
      else if (ENDS_TRANSACTION.test(text)) inTransaction = false;
    }
    if (typeof text !== 'string' || callback !== undefined || !Array.isArray(values) || values.length === 0) {
      return query(text, values, callback);
    }
    const name = names.nameOf(text);
    if (name === undefined) return query(text, values);
    const generation = names.generation;
    try {
      return await run(name, generation, text, values);
    } catch (error) {
      if (!isStalePreparedStatement(error)) throw error;
      names.stale(generation);
      if (inTransaction) throw error;
      return run(name, names.generation, text, values);
    }
  }) as QueryFn;
}
