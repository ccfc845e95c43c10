import type { Kysely, Transaction } from 'kysely';
import type { DialectAdapter } from './dialect/dialect-adapter.js';
import type { Database } from './schema.js';

/** An open transaction: every write of the concept modules runs inside one the store opened. */
export type Trx = Transaction<Database>;
/** Where the concept modules read: the store's connection pool or an open transaction. */
export type Db = Kysely<Database>;

/**
 * What the concept modules (agents, join tokens, tasks, tenants) need besides the transaction:
 * the dialect's differences and the clock. The store builds one and passes it to every call.
 */
export interface StoreContext {
  /** What differs between SQLite and PostgreSQL. */
  readonly adapter: DialectAdapter;
  /** `at`, or the store's clock when absent, encoded for a timestamp column. */
  time(at?: Date): string | Date;
}
