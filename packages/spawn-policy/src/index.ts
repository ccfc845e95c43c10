export {
  type AgentSpawner,
  type AgentSpawnRequest,
  createGatedSpawner,
  type GatedSpawnerOptions,
  type SpawnGateEvent,
} from './create-gated-spawner.js';
export {
  evaluateSpawnRequest,
  type SpawnDecision,
  type SpawnParent,
  type SpawnPolicyRequest,
} from './evaluate-spawn-request.js';
export { parseSpawnPolicy, spawnPolicySchema } from './parse-spawn-policy.js';
export { DEFAULT_SPAWN_POLICY, type SpawnPolicy } from './spawn-policy.js';
