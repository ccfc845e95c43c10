// `@colibri/vault/config`: resolving the vault configuration imports nothing heavy (no execa, no bw).
export {
  resolveVaultConfig,
  VAULT_FLAG_NAMES,
  type VaultConfig,
  type VaultConfigSources,
  type VaultFlags,
} from './resolve-vault-config.js';
