export {
  CAPABILITY_TAG_PATTERN,
  type CapabilityTag,
  capabilityTagSchema,
  parseCapabilities,
} from './capability-tag.js';
export { AGENT_NAME_PATTERN, parseAgentName, parseTenantName, TENANT_NAME_PATTERN } from './names.js';
export {
  AGENT_STATUSES,
  type AgentStatus,
  isLegalTaskTransition,
  TASK_STATUSES,
  TASK_TRANSITIONS,
  type TaskStatus,
  TENANT_STATUSES,
  TERMINAL_TASK_STATUSES,
  type TenantStatus,
} from './states.js';
export { viaParser } from './via-parser.js';
