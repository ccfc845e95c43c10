import { startTestPostgres } from '@colibri/store/testing';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A fresh database on a private PostgreSQL server, for the PostgreSQL end-to-end run. */
    postgresDatabaseUrl: string;
  }
}

/** One private PostgreSQL server for the run (only the PostgreSQL end-to-end test uses it). */
export default async function setup(project: TestProject) {
  const server = await startTestPostgres();
  project.provide('postgresDatabaseUrl', await server.createDatabase('colibrid_e2e'));
  return () => server.stop();
}
