// A Bitwarden-compatible HTTPS test server that the real, pinned `bw` CLI accepts: one user with a personal
// API key and a master password, one organization, its collections and items. A test fixture, not a server:
// in memory, one user, read-only for the CLI. See README.md.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequestHandler } from './routes.mjs';
import { createVaultState } from './state.mjs';
import { mintCertificates } from './tls.mjs';

/** The CLI refuses fewer PBKDF2 iterations than this at prelogin ("possible pre-login downgrade attack"). */
const MIN_KDF_ITERATIONS = 5000;

/**
 * @param {{ host?: string, port?: number, kdfIterations?: number }} [options]
 * @returns {Promise<import('./index.d.mts').BwTestServer>}
 */
export async function startBwTestServer(options = {}) {
  const { host, port: requestedPort, kdfIterations } = validateOptions(options);
  const dir = await mkdtemp(join(tmpdir(), 'colibri-bw-server-'));
  try {
    const { caCertPath, key, cert } = await mintCertificates(dir, host);
    const state = createVaultState({ kdfIterations });
    /** @type {Array<{ method: string, path: string }>} */
    const requests = [];
    let url = '';
    const server = createServer({ key, cert }, createRequestHandler(state, { requests, baseUrl: () => url }));

    const port = await listen(server, requestedPort, host);
    url = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
    let listening = true;
    let closed = false;

    const stop = async () => {
      if (!listening) return;
      listening = false;
      const done = new Promise((resolve) => server.close(() => resolve(undefined)));
      // Keep-alive sockets would otherwise keep answering after "the server went down".
      server.closeAllConnections();
      await done;
    };

    return {
      url,
      caCertPath,
      user: state.user,
      organizationId: state.organization.id,
      requests,
      addCollection: (name) => state.addCollection(name),
      removeCollection: (id) => state.removeCollection(id),
      renameCollection: (id, name) => state.renameCollection(id, name),
      addItem: (item) => state.addItem(item),
      removeItem: (id) => state.removeItem(id),
      stop,
      async restart() {
        if (closed)
          throw new Error('restart: this server was closed; start a new one with startBwTestServer()');
        if (listening) return;
        // Same port on purpose: the CLI's appdata remembers the server URL.
        await listen(server, port, host);
        listening = true;
      },
      async close() {
        closed = true;
        await stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * @param {import('node:https').Server} server
 * @param {number} port
 * @param {string} host
 * @returns {Promise<number>} the bound port
 */
function listen(server, port, host) {
  return new Promise((resolve, reject) => {
    const onError = (/** @type {Error} */ error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const address = server.address();
      if (address === null || typeof address === 'string') {
        reject(new Error('bw test server: expected a TCP address'));
        return;
      }
      resolve(address.port);
    });
  });
}

/**
 * @param {{ host?: string, port?: number, kdfIterations?: number }} options
 * @returns {{ host: string, port: number, kdfIterations: number }}
 */
function validateOptions(options) {
  const { host = '127.0.0.1', port = 0, kdfIterations = MIN_KDF_ITERATIONS } = options ?? {};
  if (typeof host !== 'string' || host.length === 0) {
    throw new TypeError(
      `startBwTestServer: host must be a non-empty string such as '127.0.0.1', got ${host}`,
    );
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError(
      `startBwTestServer: port must be an integer 0..65535 (0 = any free port), got ${port}`,
    );
  }
  if (!Number.isInteger(kdfIterations) || kdfIterations < MIN_KDF_ITERATIONS) {
    throw new TypeError(
      `startBwTestServer: kdfIterations must be an integer >= ${MIN_KDF_ITERATIONS} (bw rejects fewer), got ${kdfIterations}`,
    );
  }
  return { host, port, kdfIterations };
}
