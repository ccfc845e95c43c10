// The child environment for running the real, pinned `bw` CLI against the test server: nothing inherited
// from the test runner except PATH, and no credentials (callers add BW_CLIENTID / BW_CLIENTSECRET / a
// password variable / BW_SESSION only for the commands that need them).
import { fileURLToPath } from 'node:url';

/** Absolute path of the pinned CLI's entry point; run it as `execFile(process.execPath, [BW_CLI_PATH, ...args])`. */
export const BW_CLI_PATH = fileURLToPath(
  new URL('../../packages/vault/node_modules/@bitwarden/cli/build/bw.js', import.meta.url),
);

/**
 * @param {{ server: { caCertPath: string }, appDataDir: string }} options
 * @returns {Record<string, string>}
 */
export function bwTestEnv({ server, appDataDir }) {
  if (typeof server?.caCertPath !== 'string' || typeof appDataDir !== 'string' || appDataDir.length === 0) {
    throw new TypeError(
      'bwTestEnv: expected { server: BwTestServer, appDataDir: <a private temp directory> }',
    );
  }
  return {
    BITWARDENCLI_APPDATA_DIR: appDataDir,
    // Without it a locked vault makes bw prompt on stderr and exit 0 with empty stdout.
    BW_NOINTERACTION: 'true',
    NODE_EXTRA_CA_CERTS: server.caCertPath,
    // bw writes nothing under HOME when BITWARDENCLI_APPDATA_DIR is set; pointing HOME there keeps any
    // stray write inside the test's directory instead of the runner's home.
    HOME: appDataDir,
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
  };
}
