export { destroyJailedAgent } from './destroy-jailed-agent.js';
export type {
  HiveAgent,
  HivePort,
  HiveTenant,
  ProvisionEnv,
  ProvisionOutcome,
  ProvisionRequest,
} from './hive-port.js';
export { checkCollectionUnclaimed, type TenantCollection } from './provision/check-collection-unclaimed.js';
export {
  createVaultProvisionEnv,
  MAX_PROVISION_REASON,
  type ProvisionRecord,
  type VaultProvisionEnvOptions,
} from './provision/create-vault-provision-env.js';
export { WITHHELD_LINE } from './read-log-tail.js';
export { removeEnvFile } from './remove-env-file.js';
export {
  DEFAULT_JOIN_TOKEN_TTL_SECONDS,
  DEFAULT_REGISTRATION_TIMEOUT_MS,
  JOIN_TOKEN_VARIABLE,
  spawnJailedAgent,
} from './spawn-jailed-agent.js';
export {
  DESTROY_STEPS,
  type DestroyJailedAgentOptions,
  type DestroyReport,
  type DestroyStep,
  type RollbackAction,
  SPAWN_STEPS,
  type SpawnFailureDetails,
  type SpawnJailedAgentOptions,
  type SpawnProgressEvent,
  type SpawnReport,
  type SpawnRequest,
  type SpawnStep,
  type StepReport,
} from './spawn-report.js';
