// Every colibri command class by id, imported at once: the oclif bundle (cli-entry.ts) hands them
// to oclif (explicit strategy), the direct path (direct.ts) runs them itself.
import Board from './commands/board.js';
import Bridge from './commands/bridge.js';
import CancelTask from './commands/cancel-task.js';
import CheckCapabilities from './commands/check-capabilities.js';
import DestroyAgent from './commands/destroy-agent.js';
import Heartbeat from './commands/heartbeat.js';
import Identity from './commands/identity.js';
import IntakeTask from './commands/intake-task.js';
import JoinToken from './commands/join-token.js';
import ListAgents from './commands/list-agents.js';
import ListSkills from './commands/list-skills.js';
import ListTasks from './commands/list-tasks.js';
import ListTenants from './commands/list-tenants.js';
import Mcp from './commands/mcp.js';
import Poll from './commands/poll.js';
import Probe from './commands/probe.js';
import ProvisionTenant from './commands/provision-tenant.js';
import Prune from './commands/prune.js';
import RegisterAgent from './commands/register-agent.js';
import RegisterTenant from './commands/register-tenant.js';
import ResetTenantCollection from './commands/reset-tenant-collection.js';
import RetryTask from './commands/retry-task.js';
import RunAgent from './commands/run-agent.js';
import ShowTask from './commands/show-task.js';
import ShowTenant from './commands/show-tenant.js';
import SpawnAgent from './commands/spawn-agent.js';
import Status from './commands/status.js';
import TransitionTask from './commands/transition-task.js';

/** Every command by id; cli-entry.test.ts checks it lists each file of src/commands. */
export const COMMANDS = {
  board: Board,
  bridge: Bridge,
  'cancel-task': CancelTask,
  'check-capabilities': CheckCapabilities,
  'destroy-agent': DestroyAgent,
  heartbeat: Heartbeat,
  identity: Identity,
  'intake-task': IntakeTask,
  'join-token': JoinToken,
  'list-agents': ListAgents,
  'list-skills': ListSkills,
  'list-tasks': ListTasks,
  'list-tenants': ListTenants,
  mcp: Mcp,
  poll: Poll,
  probe: Probe,
  'provision-tenant': ProvisionTenant,
  prune: Prune,
  'register-agent': RegisterAgent,
  'register-tenant': RegisterTenant,
  'reset-tenant-collection': ResetTenantCollection,
  'retry-task': RetryTask,
  'run-agent': RunAgent,
  'show-task': ShowTask,
  'show-tenant': ShowTenant,
  'spawn-agent': SpawnAgent,
  status: Status,
  'transition-task': TransitionTask,
};
