// The secret source contract (test/contract/secret-source-contract.ts) on every implementation: the
// directory source on real files, the Bitwarden source with the scripted fake bw, and the
// Bitwarden source with the REAL pinned bw against the Bitwarden-compatible test server.
import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderEnvFile } from '@colibri/env-file';
import { startBwTestServer } from '../../../test-fixtures/bw-server/index.mjs';
import {
  createFakeBw,
  defaultVault,
  FAKE_BW_ENTRY,
  item,
  ORG,
} from '../src/bitwarden/fake-bw.test-helper.js';
import { createBitwardenSource, createDirectorySource } from '../src/index.js';
import { describeSecretSourceContract } from './contract/secret-source-contract.js';

describeSecretSourceContract('directory (real files)', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'colibri-contract-dir-'));
  const put = async (name: string, text: string) => {
    const path = join(directory, `${name}.env`);
    await writeFile(path, text, { mode: 0o600 });
    await chmod(path, 0o600);
  };
  return {
    source: createDirectorySource({ directory }),
    async addBucket(name, variables) {
      await put(name, renderEnvFile(variables));
      return null;
    },
    async addUnusableBucket(name, key, secret) {
      await put(name, `${key}='${secret}'\n`);
    },
    cleanup: () => rm(directory, { recursive: true, force: true }),
  };
});

describeSecretSourceContract('bitwarden (scripted fake bw)', async () => {
  const base = await mkdtemp(join(tmpdir(), 'colibri-contract-fake-'));
  const vault = defaultVault({ serverUrl: 'https://vault.test', status: 'locked' });
  const fake = createFakeBw(vault);
  const addNote = (collectionId: string, name: string, notes: string) =>
    vault.items.push(item({ id: randomUUID(), name, collectionIds: [collectionId], notes }));
  const addCollection = (name: string) => {
    const id = randomUUID();
    vault.collections.push({ id, name, organizationId: ORG });
    return id;
  };
  return {
    source: createBitwardenSource({
      serverUrl: 'https://vault.test',
      appDataDir: join(base, 'bw'),
      credentials: {
        clientId: vault.clientId,
        clientSecret: vault.clientSecret,
        masterPassword: vault.masterPassword,
      },
      bwEntry: FAKE_BW_ENTRY,
      runner: fake.runner,
    }),
    async addBucket(name, variables) {
      const id = addCollection(name);
      for (const [key, value] of variables) addNote(id, key, value);
      return id;
    },
    async addUnusableBucket(name, key, secret) {
      addNote(addCollection(name), key, secret);
    },
    cleanup: () => rm(base, { recursive: true, force: true }),
  };
});

describeSecretSourceContract('bitwarden (real bw 2026.6.0, test server)', async () => {
  const base = await mkdtemp(join(tmpdir(), 'colibri-contract-bw-'));
  const server = await startBwTestServer();
  const addNote = (collectionId: string, name: string, notes: string) =>
    server.addItem({ name, type: 'note', collectionIds: [collectionId], notes });
  return {
    source: createBitwardenSource({
      serverUrl: server.url,
      appDataDir: join(base, 'bw'),
      credentials: {
        clientId: server.user.clientId,
        clientSecret: server.user.clientSecret,
        masterPassword: server.user.masterPassword,
      },
      extraEnv: { NODE_EXTRA_CA_CERTS: server.caCertPath },
    }),
    async addBucket(name, variables) {
      const id = server.addCollection(name);
      for (const [key, value] of variables) addNote(id, key, value);
      return id;
    },
    async addUnusableBucket(name, key, secret) {
      addNote(server.addCollection(name), key, secret);
    },
    async cleanup() {
      await server.close();
      await rm(base, { recursive: true, force: true });
    },
  };
});
