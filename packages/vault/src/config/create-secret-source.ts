import { createBitwardenSource } from '../bitwarden/create-bitwarden-source.js';
import { createDirectorySource } from '../directory/create-directory-source.js';
import type { SecretSource, VaultLogger } from '../secret-source.js';
import type { VaultConfig } from './resolve-vault-config.js';

/** What {@link createSecretSource} passes on to the source. */
export interface CreateSecretSourceOptions {
  /** Where the Bitwarden source logs its steps (pino-shaped). */
  readonly logger?: VaultLogger;
}

/** The one place a resolved {@link VaultConfig} becomes a source; undefined for `none`. */
export function createSecretSource(
  config: Exclude<VaultConfig, { readonly kind: 'none' }>,
  options?: CreateSecretSourceOptions,
): SecretSource;
export function createSecretSource(
  config: VaultConfig,
  options?: CreateSecretSourceOptions,
): SecretSource | undefined;
export function createSecretSource(
  config: VaultConfig,
  options: CreateSecretSourceOptions = {},
): SecretSource | undefined {
  switch (config.kind) {
    case 'none':
      return undefined;
    case 'directory':
      return createDirectorySource({ directory: config.directory });
    case 'bitwarden':
      return createBitwardenSource({
        serverUrl: config.serverUrl,
        appDataDir: config.appDataDir,
        credentials: config.credentials,
        extraEnv: config.extraEnv,
        ...(options.logger === undefined ? {} : { logger: options.logger }),
      });
  }
}
