export { findPostgresBinaries, startTestPostgres, type TestPostgres } from './postgres-server.js';
