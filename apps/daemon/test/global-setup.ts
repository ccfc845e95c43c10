import { startTestPostgres } from '@colibri/store/testing';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A fresh database on a private PostgreSQL server, for the PostgreSQL end-to-end run. */
    postgresDatabaseUrl: string;
    /** Fresh databases on the same server for the several-daemons tests, one per test. */
    multiDaemonDatabaseUrls: string[];
    /** Fresh databases for the large-backlog tests on PostgreSQL, one per test. */
    backlogDatabaseUrls: string[];
    /** Fresh databases for the retry and idempotent-intake tests on PostgreSQL, one per test. */
    retryDatabaseUrls: string[];
    /** Fresh databases for the expiry and retention tests on PostgreSQL, one per test. */
    lifecycleDatabaseUrls: string[];
    /** A fresh database for counting PostgreSQL statements per lifecycle step (pg_stat_statements). */
    roundTripDatabaseUrl: string;
    /** The server's own database, to read pg_stat_statements from outside the counted one. */
    postgresAdminUrl: string;
  }
}

/** One private PostgreSQL server for the run (the PostgreSQL end-to-end and several-daemons tests use it). */
export default async function setup(project: TestProject) {
  // pg_stat_statements loaded (it only counts): the round-trips test reads it.
  const server = await startTestPostgres({ settings: { shared_preload_libraries: 'pg_stat_statements' } });
  project.provide('postgresDatabaseUrl', await server.createDatabase('colibrid_e2e'));
  const multi: string[] = [];
  for (let i = 1; i <= 6; i++) multi.push(await server.createDatabase(`colibrid_multi_${i}`));
  project.provide('multiDaemonDatabaseUrls', multi);
  const backlog: string[] = [];
  for (let i = 1; i <= 3; i++) backlog.push(await server.createDatabase(`colibrid_backlog_${i}`));
  project.provide('backlogDatabaseUrls', backlog);
  const retry: string[] = [];
  for (let i = 1; i <= 6; i++) retry.push(await server.createDatabase(`colibrid_retry_${i}`));
  project.provide('retryDatabaseUrls', retry);
  const lifecycle: string[] = [];
  for (let i = 1; i <= 3; i++) lifecycle.push(await server.createDatabase(`colibrid_lifecycle_${i}`));
  project.provide('lifecycleDatabaseUrls', lifecycle);
  project.provide('roundTripDatabaseUrl', await server.createDatabase('colibrid_round_trips'));
  project.provide('postgresAdminUrl', server.url());
  return () => server.stop();
}
