import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll } from 'vitest';
import type { SqliteStoreConfig } from '../src/index.js';
import { describeStoreContract } from './store-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'colibri-store-sqlite-'));
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeStoreContract('sqlite', {
  liveChangeFeed: false,
  async freshConfig() {
    return { driver: 'sqlite', path: join(dir, `db-${++n}`, 'colibri.db') };
  },
  async rawExec(config, sqlText) {
    const db = new Database((config as SqliteStoreConfig).path);
    try {
      db.exec(sqlText);
    } finally {
      db.close();
    }
  },
});
