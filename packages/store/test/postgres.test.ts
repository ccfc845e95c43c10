import pg from 'pg';
import { afterAll, inject } from 'vitest';
import type { PostgresStoreConfig } from '../src/index.js';
import { describeStoreContract } from './store-contract.js';

const serverUrl = inject('postgresUrl');
const admin = new pg.Pool({ connectionString: serverUrl, max: 2 });
let n = 0;
afterAll(() => admin.end());

describeStoreContract('postgres', {
  liveChangeFeed: true,
  async freshConfig() {
    const name = `contract_${process.pid}_${++n}`;
    await admin.query(`create database ${name}`);
    return { driver: 'postgres', connectionString: serverUrl.replace('/postgres?', `/${name}?`) };
  },
  async rawExec(config, sqlText) {
    const client = new pg.Client({ connectionString: (config as PostgresStoreConfig).connectionString });
    await client.connect();
    try {
      await client.query(sqlText);
    } finally {
      await client.end();
    }
  },
});
