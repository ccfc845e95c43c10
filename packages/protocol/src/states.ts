/**
 * Where a task is in its life. `parked` = accepted, waiting for a capable agent (never "failed" for
 * lack of one); `expired` = it was still parked at the deadline its intake set (`expire-after`).
 */
export const TASK_STATUSES = [
  'parked',
  'assigned',
  'running',
  'done',
  'failed',
  'cancelled',
  'expired',
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Terminal task states: nothing leaves them. */
export const TERMINAL_TASK_STATUSES: ReadonlySet<TaskStatus> = new Set([
  'done',
  'failed',
  'cancelled',
  'expired',
]);

/**
 * The legal task transitions. `assigned|running -> parked` is a re-queue (lease lost, agent
 * offline, agent handed the task back); `assigned -> done|failed` lets an agent finish without
 * reporting `running` first; `parked -> expired` is a deadline passed with no capable agent (only a
 * parked task expires: one an agent holds runs to its end).
 */
export const TASK_TRANSITIONS: Readonly<Record<TaskStatus, readonly TaskStatus[]>> = Object.freeze({
  parked: ['assigned', 'cancelled', 'expired'],
  assigned: ['running', 'done', 'failed', 'cancelled', 'parked'],
  running: ['done', 'failed', 'cancelled', 'parked'],
  done: [],
  failed: [],
  cancelled: [],
  expired: [],
});

/** True when a task may move from `from` to `to`. */
export function isLegalTaskTransition(from: TaskStatus, to: TaskStatus): boolean {
  return TASK_TRANSITIONS[from].includes(to);
}

/**
 * `idle` = online with no task, `active` = online and working, `offline` = silent past its TTL
 * or gone. Only `idle` and `active` agents are eligible for new tasks.
 */
export const AGENT_STATUSES = ['idle', 'active', 'offline'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

/** The tenant life cycle: row created → `.env` provisioned → an agent registered (active), or failed. */
export const TENANT_STATUSES = ['pending', 'provisioned', 'active', 'failed'] as const;
export type TenantStatus = (typeof TENANT_STATUSES)[number];

/**
 * The legal tenant transitions. `provisioned → provisioned` is a re-provision; `active →
 * provisioned` is an agent that went away (the `.env` is still in place); `failed → pending`
 * retries from the start; `provisioned → pending` and `active → pending` are a torn-down agent
 * (`colibri destroy-agent`: no jail, no `.env` any more, like a freshly registered tenant).
 */
export const TENANT_TRANSITIONS: Readonly<Record<TenantStatus, readonly TenantStatus[]>> = Object.freeze({
  pending: ['provisioned', 'failed'],
  provisioned: ['active', 'failed', 'provisioned', 'pending'],
  active: ['provisioned', 'failed', 'pending'],
  failed: ['pending', 'provisioned'],
});

/** True when a tenant may move from `from` to `to`. */
export function isLegalTenantTransition(from: TenantStatus, to: TenantStatus): boolean {
  return TENANT_TRANSITIONS[from].includes(to);
}

/**
 * What provisioning a tenant's `.env` came to: `written` (new content), `unchanged` (the file
 * already held it), `no-bucket` (the tenant has no collection: nothing to write), `failed`.
 */
export const TENANT_PROVISION_OUTCOMES = ['written', 'unchanged', 'no-bucket', 'failed'] as const;
export type TenantProvisionOutcome = (typeof TENANT_PROVISION_OUTCOMES)[number];
