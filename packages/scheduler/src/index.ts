export { type AgentStatus, parseCapabilities } from '@colibri/protocol';
export { AgentIndex } from './agent-index.js';
export { capabilityMatchScore } from './capability-match-score.js';
export { explainParked, type ParkedCandidate, type ParkedExplanation } from './explain-parked.js';
export { isEligible } from './is-eligible.js';
export { pickAgent } from './pick-agent.js';
export { qualifies } from './qualifies.js';
export type { SchedulableAgent, TaskRequirements } from './schedulable-agent.js';
export { validateCapabilities } from './validate-capabilities.js';
