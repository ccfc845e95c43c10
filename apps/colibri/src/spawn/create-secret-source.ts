import type { SecretSource } from '@colibri/vault';
import type { ProvisionSourceConfig } from '../provision/resolve-provision-config.js';

/** The vault source a resolved configuration names (the bw CLI, or a directory of files). */
export function createSecretSource(
  vault: Pick<typeof import('@colibri/vault'), 'createBitwardenSource' | 'createDirectorySource'>,
  config: ProvisionSourceConfig,
): SecretSource {
  if (config.kind === 'directory') return vault.createDirectorySource({ directory: config.directory });
  return vault.createBitwardenSource({
    serverUrl: config.serverUrl,
    appDataDir: config.appDataDir,
    credentials: config.credentials,
    extraEnv: config.extraEnv,
  });
}
