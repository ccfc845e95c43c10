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
  /**
   * A read outside any transaction: `SELECT * FROM tasks` with the filter's equalities and `IN`
   * lists, in `listTasks`' order, run synchronously, or `undefined` while the connection is inside
   * a transaction (a group commit between its BEGIN and COMMIT), whose uncommitted writes it would
   * see: the caller then reads through kysely, which waits for that transaction to end. Outside a
   * transaction the connection holds only committed (with synchronous=FULL, durable) rows, and a
   * synchronous read cannot interleave with a transaction starting.
   */
  selectTasksCommitted<T>(filter: TaskReadFilter): T[] | undefined;
}

/** The task filters {@link SqliteHotPath.selectTasksCommitted} reads: column = value, column IN (…). */
export interface TaskReadFilter {
  readonly status?: readonly string[];
  readonly assignedAgentId?: string;
  readonly limit: number;
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

/** The columns of a task row `listTasks` orders by. */
interface TaskOrderRow {
  readonly priority: number;
  readonly created_at: string;
  readonly id: string;
}

/** Text as SQLite's BINARY collation orders it (the store's times and ids are ASCII). */
const binary = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** `listTasks`' order: `priority desc, created_at asc, id asc`. */
const inListOrder = (a: TaskOrderRow, b: TaskOrderRow): number =>
  b.priority - a.priority || binary(a.created_at, b.created_at) || binary(a.id, b.id);

const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** How many row-returning statements stay prepared in raw mode (a few dozen shapes in practice). */
const ROW_STATEMENT_CACHE_SIZE = 256;

/**
 * Row-returning statements of the hot path, each prepared once in better-sqlite3's raw mode
 * (values as an array) with its column names read once: building each row object here from the
 * array costs about half of what better-sqlite3 spends making one with two dozen named columns.
 * Their own statements, never the ones kysely shares through `prepare` (kysely expects objects).
 */
class RowStatements {
  readonly #prepare: (sql: string) => BetterSqlite3.Statement;
  readonly #cache = new Map<string, { statement: BetterSqlite3.Statement; columns: readonly string[] }>();

  constructor(prepare: (sql: string) => BetterSqlite3.Statement) {
    this.#prepare = prepare;
  }

  #get(sql: string) {
    let entry = this.#cache.get(sql);
    if (entry === undefined) {
      const statement = this.#prepare(sql).raw(true);
      entry = { statement, columns: statement.columns().map((column) => column.name) };
      if (this.#cache.size >= ROW_STATEMENT_CACHE_SIZE) this.#cache.delete(this.#cache.keys().next().value!);
      this.#cache.set(sql, entry);
    }
    return entry;
  }

  all<T>(sql: string, params: unknown): T[] {
    const { statement, columns } = this.#get(sql);
    const rows = statement.all(params) as unknown[][];
    const out = new Array<T>(rows.length);
    for (let i = 0; i < rows.length; i++) out[i] = toRow<T>(columns, rows[i]!);
    return out;
  }

  get<T>(sql: string, params: unknown): T | undefined {
    const { statement, columns } = this.#get(sql);
    const row = statement.get(params) as unknown[] | undefined;
    return row === undefined ? undefined : toRow<T>(columns, row);
  }
}

function toRow<T>(columns: readonly string[], values: readonly unknown[]): T {
  const row: Record<string, unknown> = {};
  for (let i = 0; i < columns.length; i++) row[columns[i]!] = values[i];
  return row as T;
}

/**
 * The hot path over `prepare`, the adapter's statement cache (so a shape is prepared once for
 * kysely and these alike), and `prepareOwn`, which prepares a statement of its own for the
 * row-returning shapes. Column names come from the store's code, never from input.
 */
export function createSqliteHotPath(
  prepare: (sql: string) => BetterSqlite3.Statement,
  prepareOwn: (sql: string) => BetterSqlite3.Statement,
  inTransaction: () => boolean,
): SqliteHotPath {
  const shapes = new ShapeCache();
  const rows = new RowStatements(prepareOwn);
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
      rows.get<T>(
        shapes.get(`s|${table}`, () => `select * from ${quote(table)} where "id" = ?`),
        id,
      ),
    insert: (table, rows) => {
      if (rows.length === 0) return;
      const columns = Object.keys(rows[0]!);
      const params: unknown[] = [];
      for (const row of rows) for (const column of columns) params.push(row[column]);
      prepare(insertSql(table, columns, rows.length, false)).run(params);
    },
    insertReturning: <T>(table: Table, row: Values) => {
      const columns = Object.keys(row);
      return rows.get<T>(insertSql(table, columns, 1, true), Object.values(row)) as T;
    },
    updateReturning: <T>(table: Table, set: Values, where: Values) =>
      rows.all<T>(updateSql(table, set, where, true), [...Object.values(set), ...Object.values(where)]),
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
      return rows.all<T>(text, params);
    },
    refreshAgentStatus: (agentId) => {
      prepare(refresh).run(agentId, agentId);
    },
    run: (sql) => {
      prepare(sql).run();
    },
    selectTasksCommitted: <T>(filter: TaskReadFilter) => {
      if (inTransaction()) return undefined;
      const statuses = filter.status?.length ?? -1;
      const agent = filter.assignedAgentId !== undefined;
      const text = shapes.get(`t|${statuses}|${agent}`, () => {
        const where: string[] = [];
        if (statuses >= 0)
          where.push(`"status" in (${Array.from({ length: statuses }, () => '?').join(', ')})`);
        if (agent) where.push('"assigned_agent_id" = ?');
        // One agent's tasks (a poll's held set: a few rows) are sorted here: SQLite's sorter
        // costs ~15 µs per execution for two dozen columns even with no row to sort.
        return `select * from "tasks"${where.length > 0 ? ` where ${where.join(' and ')}` : ''}${agent ? '' : ' order by "priority" desc, "created_at" asc, "id" asc limit ?'}`;
      });
      const params: unknown[] = filter.status === undefined ? [] : [...filter.status];
      if (agent) params.push(filter.assignedAgentId);
      else params.push(filter.limit);
      const found = rows.all<T>(text, params);
      if (!agent) return found;
      if (found.length > 1) (found as TaskOrderRow[]).sort(inListOrder);
      return found.length > filter.limit ? found.slice(0, filter.limit) : found;
    },
  };
}
