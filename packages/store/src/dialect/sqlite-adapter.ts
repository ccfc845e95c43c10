import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { ColibriError } from '@colibri/errors';
import BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  Kysely,
  SqliteAdapter,
  SqliteDialect,
  SqliteDriver,
} from 'kysely';
import { silentChangeFeed } from '../change-feed/silent-change-feed.js';
import type { Database } from '../schema.js';
import type { SqliteStoreConfig } from '../store.js';
import type { DialectAdapter } from './dialect-adapter.js';
import { createSqliteHotPath } from './sqlite-hot-path.js';

/**
 * SQLite opens transactions with BEGIN IMMEDIATE: the write lock is taken up front, so two
 * processes never both read a task and then race to upgrade to a writer (which SQLite resolves
 * with SQLITE_BUSY, ignoring the busy timeout). Every store transaction writes, so nothing is lost.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  /**
   * SQLite itself ends a transaction on some errors (I/O error, disk full): the ROLLBACK that
   * follows then fails with "no transaction is active", which must not hide the error that caused it.
   */
  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await connection.executeQuery(CompiledQuery.raw('rollback'));
    } catch (error) {
      if (!/no transaction is active/i.test((error as Error).message)) throw error;
    }
  }
}

/**
 * SQLite's DDL is transactional, but kysely's adapter says otherwise and its migration lock is a
 * no-op (it assumes one process). Declaring transactional DDL makes the Migrator run every pending
 * migration in one BEGIN IMMEDIATE transaction, which serializes processes that open a new
 * database at once: the second one reads the migration table after the first has committed.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: ConstructorParameters<typeof SqliteDialect>[0];
  constructor(config: ConstructorParameters<typeof SqliteDialect>[0]) {
    super(config);
    this.#config = config;
  }
  override createDriver() {
    return new ImmediateSqliteDriver(this.#config);
  }
  override createAdapter() {
    return new TransactionalDdlSqliteAdapter();
  }
}

/** How many distinct statements stay prepared (the store's query shapes are a few dozen). */
const STATEMENT_CACHE_SIZE = 256;

/**
 * The database as kysely's driver sees it, with `prepare` cached by SQL text: kysely's SQLite
 * driver prepares every query again (11-26% of the daemon's CPU in profiles), while a
 * better-sqlite3 statement can be run any number of times. kysely runs one query at a time on the
 * connection, so a cached statement is never in use twice at once. Least recently prepared
 * shapes fall out past the bound (multi-row inserts of varying sizes make new shapes).
 */
function withStatementCache(database: BetterSqlite3.Database) {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => {
      cache.clear();
      database.close();
    },
    prepare: (sql: string) => {
      let statement = cache.get(sql);
      if (statement !== undefined) {
        cache.delete(sql);
      } else {
        statement = database.prepare(sql);
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
      }
      cache.set(sql, statement);
      return statement;
    },
  };
}

const SQLITE_UNAVAILABLE = new Set([
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_READONLY',
  'SQLITE_CANTOPEN',
  'SQLITE_IOERR',
  'SQLITE_FULL',
]);

function sqliteCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** WAL pages after which a commit checkpoints (SQLite's default: 1000). */
const WAL_AUTOCHECKPOINT_PAGES = 4000;

/**
 * Opens (creating if needed) the SQLite database file: WAL for concurrent readers, a busy timeout
 * so writers from several processes queue instead of failing, foreign keys on, and
 * `synchronous=FULL` so a committed transaction survives not only `kill -9` but power loss.
 * A new file is created 0600 first: SQLite gives its -wal and -shm files the same mode.
 */
export function createSqliteAdapter(config: SqliteStoreConfig): DialectAdapter {
  const path = config.path;
  let database: BetterSqlite3.Database;
  try {
    if (config.createDirectory !== false) mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    try {
      closeSync(openSync(path, 'wx', 0o600));
    } catch (error) {
      if (sqliteCode(error) !== 'EEXIST') throw error;
    }
    database = new BetterSqlite3(path, { timeout: config.busyTimeoutMs ?? 5000 });
    database.pragma('journal_mode = WAL');
    database.pragma('foreign_keys = ON');
    database.pragma(`synchronous = ${config.synchronous ?? 'FULL'}`);
    // Checkpoint the WAL every ~16 MiB (4000 pages) instead of SQLite's 1000: each checkpoint
    // copies the pages written since the last one into the database file and fsyncs it, inside the
    // commit that crossed the mark. Pages written again and again (the index pages a batch of
    // assignments moves entries between, the event log's tail) are copied once per checkpoint,
    // so fewer checkpoints do less work: unparking 10,000 tasks behind 100,000 parked (200 per
    // transaction) took 0.5-0.6× the time. Durability is unchanged: a commit is on disk once its
    // WAL frames are fsynced, checkpoint or not.
    database.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
  } catch (error) {
    throw new ColibriError(
      'COLIBRI_STORE_UNAVAILABLE',
      `cannot open the SQLite database at ${path}: ${(error as Error).message} (check the path exists and is writable)`,
      { driver: 'sqlite', path },
      { cause: error },
    );
  }
  const cached = withStatementCache(database);
  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: cached }) });
  return {
    driver: 'sqlite',
    db,
    groupCommit: config.groupCommit !== false,
    supportsRowLocks: false,
    hotPath: createSqliteHotPath(
      cached.prepare,
      (sql) => database.prepare(sql),
      () => database.inTransaction,
    ),
    toDbTime: (date) => date.toISOString(),
    isUniqueViolation: (error) => {
      const code = sqliteCode(error);
      return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
    },
    // BEGIN IMMEDIATE serializes writers, so SQLite never needs to retry a transaction.
    isRetryable: () => false,
    isUnavailable: (error) => {
      const code = sqliteCode(error);
      return code !== undefined && [...SQLITE_UNAVAILABLE].some((prefix) => code.startsWith(prefix));
    },
    watchChanges: async () => silentChangeFeed(),
  };
}
