import { ColibriError } from '@colibri/errors';
import { Migrator } from 'kysely';
import type { DialectAdapter } from './dialect/dialect-adapter.js';
import { createPostgresAdapter } from './dialect/postgres-adapter.js';
import { createSqliteAdapter } from './dialect/sqlite-adapter.js';
import { KyselyStore } from './kysely-store.js';
import { migrationProvider } from './migrations/migration-provider.js';
import type { Store, StoreConfig, StoreOptions } from './store.js';

async function migrate(adapter: DialectAdapter): Promise<void> {
  const migrator = new Migrator({ db: adapter.db, provider: migrationProvider(adapter.driver) });
  const { error } = await migrator.migrateToLatest();
  if (error === undefined) return;
  const message = error instanceof Error ? error.message : String(error);
  if (/corrupted migrations/i.test(message)) {
    throw new ColibriError(
      'COLIBRI_STORE_SCHEMA_TOO_NEW',
      `the ${adapter.driver} database was migrated by a newer colibri (${message}); upgrade colibri before using it`,
      { driver: adapter.driver },
      { cause: error },
    );
  }
  if (adapter.isUnavailable(error)) {
    throw new ColibriError(
      'COLIBRI_STORE_UNAVAILABLE',
      `the ${adapter.driver} database is unavailable while migrating: ${message}`,
      { driver: adapter.driver },
      { cause: error },
    );
  }
  throw new ColibriError(
    'COLIBRI_INTERNAL',
    `migrating the ${adapter.driver} database failed: ${message}`,
    { driver: adapter.driver },
    { cause: error },
  );
}

function checkConfig(config: StoreConfig): void {
  const bad = (why: string): never => {
    throw new ColibriError('COLIBRI_INVALID_INPUT', `store configuration: ${why}`, { field: 'config' });
  };
  if (config === null || typeof config !== 'object')
    bad('expected { driver: "sqlite", path } or { driver: "postgres", connectionString }');
  if (config.driver === 'sqlite') {
    if (typeof config.path !== 'string' || config.path.length === 0) bad('sqlite needs a non-empty path');
  } else if (config.driver === 'postgres') {
    if (typeof config.connectionString !== 'string' || !/^postgres(ql)?:\/\//.test(config.connectionString)) {
      bad('postgres needs a connectionString starting with postgresql://');
    }
  } else {
    bad(
      `unknown driver ${JSON.stringify((config as { driver?: unknown }).driver)}: use "sqlite" or "postgres"`,
    );
  }
}

/**
 * Opens the store and brings its schema up to date (idempotent; safe when several processes
 * open the same database at once). Throws `COLIBRI_STORE_UNAVAILABLE` when the database cannot
 * be reached and `COLIBRI_STORE_SCHEMA_TOO_NEW` when a newer colibri has migrated it.
 */
export async function openStore(config: StoreConfig, options: StoreOptions = {}): Promise<Store> {
  checkConfig(config);
  const adapter =
    config.driver === 'sqlite' ? createSqliteAdapter(config) : await createPostgresAdapter(config);
  try {
    await migrate(adapter);
  } catch (error) {
    await adapter.db.destroy().catch(() => {});
    throw error;
  }
  return new KyselyStore(adapter, options);
}
