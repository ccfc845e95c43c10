// The spawn policy is a small leaf (@colibri/spawn-policy) so that colibrid can evaluate it without
// depending on the mother, and the mother without depending on the spawner (and its vault and bw).
// Re-exported here under the same names, so mother's public API is unchanged.

// The .env codec is @colibri/env-file's (one grammar with the vault's renderer); re-exported.
export { parseEnvFile } from '@colibri/env-file';
export {
  type AgentSpawner,
  type AgentSpawnRequest,
  createGatedSpawner,
  DEFAULT_SPAWN_POLICY,
  evaluateSpawnRequest,
  type GatedSpawnerOptions,
  type SpawnDecision,
  type SpawnGateEvent,
  type SpawnParent,
  type SpawnPolicy,
  type SpawnPolicyRequest as SpawnRequest,
} from '@colibri/spawn-policy';
export {
  type AgentIdentity,
  type DaemonAddress,
  FILE_LAYERS,
  IDENTITY_FIELDS,
  type IdentityField,
  type IdentityLayer,
  type IdentityOrigin,
  type ResolvedIdentity,
} from './identity/agent-identity.js';
export {
  type IdentityFlags,
  type ResolveIdentityOptions,
  resolveIdentity,
} from './identity/resolve-identity.js';
export {
  isProbeVocabularyTag,
  PROBE_VERSION_FAMILIES,
  PROBE_VOCABULARY,
} from './probe/capability-vocabulary.js';
export {
  type CombineCapabilitiesOptions,
  type CombinedCapabilities,
  combineCapabilities,
} from './probe/combine-capabilities.js';
export { explainCapabilities, probeCapabilities } from './probe/probe-capabilities.js';
export type {
  AbsentTag,
  ProbedTag,
  ProbeEnvironment,
  ProbeReport,
  RunProbeCommand,
  RunResult,
} from './probe/probe-environment.js';
export type {
  AgentEvent,
  AgentEventSink,
  RegistrationVia,
  ReportedStatus,
  TaskOutcome,
} from './runtime/agent-event.js';
export { type Backoff, type BackoffOptions, createBackoff } from './runtime/backoff.js';
export { classifyError, type ErrorDisposition } from './runtime/classify-error.js';
export { handlerEnvironment, INHERITED_VARIABLES } from './runtime/handler-environment.js';
export {
  HANDLER_NAME_PATTERN,
  type HandlerRequest,
  parseHandlerPayload,
} from './runtime/parse-handler-payload.js';
export { resolveHandler } from './runtime/resolve-handler.js';
export { type AgentRun, runAgent } from './runtime/run-agent.js';
export type { AgentCredential, RunAgentOptions } from './runtime/run-agent-options.js';
export {
  type HandlerFailureDetails,
  type HandlerOutcome,
  type RunHandlerOptions,
  runHandler,
} from './runtime/run-handler.js';
export {
  AGENT_STATE_FILE,
  fileTokenStore,
  type StoredAgent,
  type TokenStore,
} from './runtime/token-store.js';
export {
  type AgentSecrets,
  type LoadAgentSecretsOptions,
  loadAgentSecrets,
} from './secrets/load-agent-secrets.js';
export {
  offerSkills,
  readSkillManifests,
  SKILL_MANIFEST_SUFFIXES,
  type SkillManifest,
  type SkillOffer,
} from './skills/read-skill-manifests.js';
