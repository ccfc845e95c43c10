// The .env codec lives in @colibri/env-file (a leaf the agent reads its .env with); re-exported.
export { ENV_KEY_PATTERN, parseEnvFile, renderEnvFile } from '@colibri/env-file';
export type {
  BitwardenCredentials,
  BitwardenSourceOptions,
} from './bitwarden/bitwarden-source-options.js';
export { createBitwardenSource } from './bitwarden/create-bitwarden-source.js';
export {
  type CommandResult,
  type CommandRunner,
  type CommandRunOptions,
  createExecaRunner,
} from './command-runner.js';
export { type CreateSecretSourceOptions, createSecretSource } from './config/create-secret-source.js';
export {
  resolveVaultConfig,
  VAULT_FLAG_NAMES,
  type VaultConfig,
  type VaultConfigSources,
  type VaultFlags,
} from './config/resolve-vault-config.js';
export { createDirectorySource, type DirectorySourceOptions } from './directory/create-directory-source.js';
export { PINNED_BW_VERSION } from './pinned-bw-version.js';
export {
  type ProvisionProgressEvent,
  type ProvisionResult,
  type ProvisionTarget,
  type ProvisionTenantsOptions,
  provisionTenants,
} from './provision/provision-tenants.js';
export type {
  FetchOutcome,
  ProgressEvent,
  SecretSource,
  TenantSecretRequest,
  VaultLogger,
  VaultStep,
} from './secret-source.js';
export {
  ENV_FILE_MODE,
  ENV_FILE_NAME,
  type EnvFileOwner,
  type WriteEnvFileOptions,
  writeEnvFile,
} from './write/write-env-file.js';
