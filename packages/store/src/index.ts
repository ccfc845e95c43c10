export { MAX_JSON_BYTES } from './input-schemas.js';
export { openStore } from './open-store.js';
export type {
  AgentOfflineResult,
  AgentRecord,
  AssignTaskInput,
  IntakeTaskInput,
  ListAgentsFilter,
  ListTasksFilter,
  PostgresStoreConfig,
  RegisterAgentInput,
  SqliteStoreConfig,
  Store,
  StoreConfig,
  StoreDriverName,
  StoreOptions,
  TaskEvent,
  TaskRecord,
  TenantRecord,
  TransitionTaskInput,
} from './store.js';
