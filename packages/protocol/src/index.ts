export { DEFAULT_AGENT_SLOTS, MAX_AGENT_SLOTS } from './agent-slots.js';
export {
  CAPABILITY_TAG_PATTERN,
  type CapabilityTag,
  capabilityTagSchema,
  parseCapabilities,
} from './capability-tag.js';
export { colibriPaths, defaultColibriHome, type HomeContext } from './colibri-home.js';
export { formatDuration, parseDuration } from './duration.js';
export { isFullId, looksLikeIdPrefix, MIN_ID_PREFIX, SHORT_ID_LENGTH, shortId } from './id-prefix.js';
export {
  AGENT_NAME_PATTERN,
  MAX_COLLECTION_NAME_LENGTH,
  parseAgentName,
  parseCollectionName,
  parseJailName,
  parseTenantName,
  TENANT_NAME_PATTERN,
} from './names.js';
export { hasNul, NUL_MESSAGE, noNul } from './no-nul.js';
export { REDACTED, scrubSecrets } from './scrub-secrets.js';
export {
  isSkillTag,
  MAX_SKILL_DESCRIPTION_LENGTH,
  SKILL_NAME_PATTERN,
  type Skill,
  skillDigest,
  skillSchema,
  skillTag,
} from './skill.js';
export {
  AGENT_STATUSES,
  type AgentStatus,
  isLegalTaskTransition,
  isLegalTenantTransition,
  TASK_STATUSES,
  TASK_TRANSITIONS,
  type TaskStatus,
  TENANT_PROVISION_OUTCOMES,
  TENANT_STATUSES,
  TENANT_TRANSITIONS,
  TERMINAL_TASK_STATUSES,
  type TenantProvisionOutcome,
  type TenantStatus,
} from './states.js';
export { terminalSafe, terminalSafeJson } from './terminal-safe.js';
export { viaParser } from './via-parser.js';
