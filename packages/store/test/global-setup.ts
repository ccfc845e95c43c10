import type { TestProject } from 'vitest/node';
import { startTestPostgres } from '../src/testing/postgres-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

/** One private PostgreSQL server for the whole run; each test file creates its own databases. */
export default async function setup(project: TestProject) {
  const server = await startTestPostgres();
  project.provide('postgresUrl', server.url());
  return () => server.stop();
}
