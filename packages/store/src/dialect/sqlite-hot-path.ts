import type BetterSqlite3 from 'better-sqlite3';
import type { Database } from '../schema.js';

/** A table of the store's schema. */
type Table = keyof Database & string;
/** Column values as better-sqlite3 binds them (the store encodes times and JSON before). */
type Values = Readonly<Record<string, unknown>>;

/**
 * The store's hot writes as precompiled SQL run synchronously on SQLite's one connection: each
 * query shape (table, columns) is turned into SQL text once and prepared once, then every call
 * binds and runs the cached better-sqlite3 statement directly, skipping kysely's per-query
 * build, compile and async connection pipeline (a third of the daemon's CPU per task lifecycle
 * in profiles).
 *
 * Use it only inside a store transaction (a `Trx`): kysely holds the connection for that
 * transaction, so these statements run in it, and nothing else runs on the connection meanwhile.
 * Never for a read outside one: it would see another transaction's uncommitted writes.
 */
export interface SqliteHotPath {
  /** `SELECT * FROM table WHERE id = ?`: the row, or undefined. */
  selectById<T>(table: Table, id: string): T | undefined;
  /** `INSERT INTO table (columns of row) VALUES (…)`, one row per element of `rows`, in one statement. */
  insert(table: Table, rows: readonly Values[]): void;
  /** `INSERT … RETURNING *` of one row: the row as stored. */
  insertReturning<T>(table: Table, row: Values): T;
  /** `UPDATE table SET (columns of set) WHERE (columns of where, each =) RETURNING *`: the rows it changed. */
  updateReturning<T>(table: Table, set: Values, where: Values): T[];
  /** The same UPDATE without RETURNING: how many rows it changed. */
  update(table: Table, set: Values, where: Values): number;
  /**
   * A poll's claim: `assigned → running` for each (id, attempt) still assigned to `agentId`, in
   * one UPDATE; the rows it changed.
   */
  claimAssigned<T>(agentId: string, at: string, wanted: readonly { taskId: string; attempt: number }[]): T[];
  /** idle ↔ active by whether the agent holds unfinished tasks, in one statement; offline stays offline. */
  refreshAgentStatus(agentId: string): void;
  /** Runs a statement without parameters (SAVEPOINT, RELEASE, ROLLBACK TO). */
  run(sql: string): void;
}

/** SQL text per query shape, built once (the shape's key is cheaper to build than the SQL). */
class ShapeCache {
  readonly #sql = new Map<string, string>();
  get(key: string, build: () => string): string {
    let text = this.#sql.get(key);
    if (text === undefined) {
      text = build();
      // Shapes are a few dozen; multi-row inserts of every size are bounded by their callers' chunks.
      if (this.#sql.size >= 1024) this.#sql.clear();
      this.#sql.set(key, text);
    }
    return text;
  }
}

const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/**
 * The hot path over `prepare`, the adapter's statement cache (so a shape is prepared once for
 * kysely and these alike). Column names come from the store's code, never from input.
 */
export function createSqliteHotPath(prepare: (sql: string) => BetterSqlite3.Statement): SqliteHotPath {
  const shapes = new ShapeCache();
  const whereSql = (where: Values) =>
    Object.keys(where)
      .map((column) => `${quote(column)} = ?`)
      .join(' and ');
  const updateSql = (table: Table, set: Values, where: Values, returning: boolean) => {
    const setKeys = Object.keys(set).join(',');
    const whereKeys = Object.keys(where).join(',');
    return shapes.get(`u|${table}|${setKeys}|${whereKeys}|${returning}`, () => {
      const assignments = Object.keys(set)
        .map((column) => `${quote(column)} = ?`)
        .join(', ');
      return `update ${quote(table)} set ${assignments} where ${whereSql(where)}${returning ? ' returning *' : ''}`;
    });
  };
  const insertSql = (table: Table, columns: readonly string[], rows: number, returning: boolean) =>
    shapes.get(`i|${table}|${columns.join(',')}|${rows}|${returning}`, () => {
      const tuple = `(${columns.map(() => '?').join(', ')})`;
      return `insert into ${quote(table)} (${columns.map(quote).join(', ')}) values ${Array.from(
        { length: rows },
        () => tuple,
      ).join(', ')}${returning ? ' returning *' : ''}`;
    });
  const refresh = `update "agents" set "status" = case when exists (select 1 from "tasks" where "assigned_agent_id" = ? and "status" in ('assigned', 'running')) then 'active' else 'idle' end where "id" = ? and "status" != 'offline'`;

  return {
    selectById: <T>(table: Table, id: string) =>
      prepare(shapes.get(`s|${table}`, () => `select * from ${quote(table)} where "id" = ?`)).get(id) as
        | T
        | undefined,
    insert: (table, rows) => {
      if (rows.length === 0) return;
      const columns = Object.keys(rows[0]!);
      const params: unknown[] = [];
      for (const row of rows) for (const column of columns) params.push(row[column]);
      prepare(insertSql(table, columns, rows.length, false)).run(params);
    },
    insertReturning: <T>(table: Table, row: Values) => {
      const columns = Object.keys(row);
      return prepare(insertSql(table, columns, 1, true)).get(Object.values(row)) as T;
    },
    updateReturning: <T>(table: Table, set: Values, where: Values) =>
      prepare(updateSql(table, set, where, true)).all([
        ...Object.values(set),
        ...Object.values(where),
      ]) as T[],
    update: (table, set, where) =>
      prepare(updateSql(table, set, where, false)).run([...Object.values(set), ...Object.values(where)])
        .changes,
    claimAssigned: <T>(
      agentId: string,
      at: string,
      wanted: readonly { taskId: string; attempt: number }[],
    ) => {
      const text = shapes.get(
        `c|${wanted.length}`,
        () =>
          `update "tasks" set "status" = 'running', "updated_at" = ? where "status" = 'assigned' and "assigned_agent_id" = ? and (${wanted
            .map(() => '("id" = ? and "attempt" = ?)')
            .join(' or ')}) returning *`,
      );
      const params: unknown[] = [at, agentId];
      for (const task of wanted) params.push(task.taskId, task.attempt);
      return prepare(text).all(params) as T[];
    },
    refreshAgentStatus: (agentId) => {
      prepare(refresh).run(agentId, agentId);
    },
    run: (sql) => {
      prepare(sql).run();
    },
  };
}
