import type { BwTestServer } from './index.d.mts';

/** Absolute path of the pinned `bw` CLI's entry point (packages/vault's @bitwarden/cli 2026.6.0). */
export declare const BW_CLI_PATH: string;

/**
 * The minimal child environment for the real `bw` CLI against a {@link BwTestServer}:
 * BITWARDENCLI_APPDATA_DIR, BW_NOINTERACTION=true, NODE_EXTRA_CA_CERTS, HOME (= appDataDir) and PATH.
 * Credentials are never included; add them per command.
 */
export declare function bwTestEnv(options: {
  server: Pick<BwTestServer, 'caCertPath'>;
  appDataDir: string;
}): Record<string, string>;
