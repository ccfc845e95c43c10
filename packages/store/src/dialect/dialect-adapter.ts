import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { ChangeListener, ChangeSubscription, StoreDriverName, WatchChangesOptions } from '../store.js';
import type { SqliteHotPath } from './sqlite-hot-path.js';

/**
 * What differs between SQLite and PostgreSQL, and nothing else. The store's logic is written
 * once against this; each dialect file fills it in.
 */
export interface DialectAdapter {
  /** Which driver this is. */
  readonly driver: StoreDriverName;
  /** The kysely instance, migrations not yet applied. */
  readonly db: Kysely<Database>;
  /** Encodes a Date for a timestamp column and for comparisons against one. */
  toDbTime(date: Date): string | Date;
  /**
   * True when the store should group its write transactions into one commit (SQLite: one
   * synchronous connection, one fsync per COMMIT). Absent or false: one transaction per write.
   */
  readonly groupCommit?: boolean;
  /**
   * SQLite: the hot writes as precompiled statements run synchronously on the transaction's
   * connection (see {@link SqliteHotPath}). Absent: every query goes through kysely.
   */
  readonly hotPath?: SqliteHotPath;
  /** True when the database can lock a selected row until commit (`SELECT … FOR UPDATE`). */
  readonly supportsRowLocks: boolean;
  /** True when `error` is a unique or primary-key violation. */
  isUniqueViolation(error: unknown): boolean;
  /** True when `error` means the transaction was rolled back by the database to break a deadlock or a serialization conflict, so running it again is safe. */
  isRetryable(error: unknown): boolean;
  /** True when `error` means the database could not be reached, was busy past the timeout, or is read-only. */
  isUnavailable(error: unknown): boolean;
  /** Starts a change feed; see `Store.watchChanges`. */
  watchChanges(listener: ChangeListener, options: WatchChangesOptions): Promise<ChangeSubscription>;
}

/** Converts a timestamp read from either dialect into a Date. */
export function fromDbTime(value: string | Date): Date {
  return value instanceof Date ? value : new Date(value);
}
