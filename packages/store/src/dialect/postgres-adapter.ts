import { randomUUID } from 'node:crypto';
import { ColibriError } from '@colibri/errors';
import { Kysely, PostgresDialect } from 'kysely';
import { type ListenConnection, watchPostgresChanges } from '../change-feed/postgres-change-feed.js';
import type { Database } from '../schema.js';
import type { PostgresStoreConfig } from '../store.js';
import type { DialectAdapter } from './dialect-adapter.js';
import { isStalePreparedStatement, nameStatementsOn, StatementNames } from './postgres-named-statements.js';

function pgCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Connection-level failures (refused, reset, DNS) and PostgreSQL's "cannot serve you now" classes. */
function isPgUnavailable(error: unknown): boolean {
  const code = pgCode(error);
  if (code === undefined) return false;
  if (['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EPIPE', 'ENOENT'].includes(code)) return true;
  // 08 connection exception, 53 insufficient resources, 57P admin shutdown / cannot connect now.
  return code.startsWith('08') || code.startsWith('53') || code.startsWith('57P');
}

/**
 * Connects a pool to PostgreSQL. `pg` is imported lazily: it costs ~120 ms of start-up that an
 * SQLite user should never pay.
 */
export async function createPostgresAdapter(config: PostgresStoreConfig): Promise<DialectAdapter> {
  const pg = (await import('pg')).default;
  const pool = new pg.Pool({
    connectionString: config.connectionString,
    max: config.poolSize ?? 10,
    connectionTimeoutMillis: config.connectTimeoutMs ?? 10_000,
    application_name: config.applicationName ?? 'colibri',
  });
  // An idle client that loses its server emits 'error' on the pool; without a listener Node
  // would crash the process. The next query on a fresh client reports the failure instead.
  pool.on('error', () => {});
  // Every session of this store commits under its own origin, which the change triggers put in
  // each notification (0010-change-origin): its own feed can then skip its own commits. Queued
  // before the client is handed out, so it runs first; once per connection, not per query.
  const origin = randomUUID();
  const names = config.preparedStatements === false ? undefined : new StatementNames();
  pool.on('connect', (client) => {
    if (names !== undefined) nameStatementsOn(client as never, names);
    client.query(`select set_config('colibri.origin', '${origin}', false)`).catch(() => {});
  });
  try {
    const client = await pool.connect();
    client.release();
  } catch (error) {
    await pool.end().catch(() => {});
    throw new ColibriError(
      'COLIBRI_STORE_UNAVAILABLE',
      `cannot connect to PostgreSQL: ${(error as Error).message} (check COLIBRI_DATABASE_URL and that the server is running)`,
      { driver: 'postgres' },
      { cause: error },
    );
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  // The change feed's LISTEN holds a session of its own, outside the pool: a pooled client is
  // handed to other queries between uses, and its LISTEN would hear for whoever holds it.
  const connectListener = async (): Promise<ListenConnection> => {
    const client = new pg.Client({
      connectionString: config.connectionString,
      connectionTimeoutMillis: config.connectTimeoutMs ?? 10_000,
      application_name: `${config.applicationName ?? 'colibri'}-changes`,
      keepAlive: true,
    });
    // Until the feed attaches its handlers, an error event must not crash the process.
    client.on('error', () => {});
    await client.connect();
    return {
      query: (text) => client.query(text),
      handle({ notification, lost }) {
        client.on('notification', (message) => notification(message.channel, message.payload));
        client.on('error', lost);
        client.on('end', () => lost(new Error('the server closed the connection')));
      },
      end: () => client.end(),
    };
  };
  return {
    driver: 'postgres',
    db,
    supportsRowLocks: true,
    toDbTime: (date) => date,
    isUniqueViolation: (error) => pgCode(error) === '23505',
    // 40P01 deadlock_detected, 40001 serialization_failure: the whole transaction was rolled back;
    // so it was when a prepared statement met a table a migration changed (it is re-prepared).
    isRetryable: (error) =>
      pgCode(error) === '40P01' || pgCode(error) === '40001' || isStalePreparedStatement(error),
    isUnavailable: isPgUnavailable,
    watchChanges: (listener, options) =>
      watchPostgresChanges({ connect: connectListener, origin }, listener, options),
  };
}
