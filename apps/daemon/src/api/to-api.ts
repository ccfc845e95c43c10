import type { ApiAgent, ApiTask, ApiTaskEvent, ApiTenant, ApiTenantEvent } from '@colibri/api';
import type { AgentRecord, TaskEvent, TaskRecord, TenantEvent, TenantRecord } from '@colibri/store';

const iso = (date: Date | null): string | null => (date === null ? null : date.toISOString());

/** An agent record as the API shows it. */
export function toApiAgent(agent: AgentRecord, activeTasks: number): ApiAgent {
  return {
    id: agent.id,
    name: agent.name,
    host: agent.host,
    capabilities: agent.capabilities,
    status: agent.status,
    tenant: agent.tenant,
    registeredAt: agent.registeredAt.toISOString(),
    lastHeartbeatAt: iso(agent.lastHeartbeatAt),
    activeTasks,
    slots: agent.slots,
    retiredAt: iso(agent.retiredAt),
    spawnedBy: agent.spawnedBy,
    spawnDepth: agent.spawnDepth,
    skills: agent.skills.map((skill) => ({
      name: skill.name,
      description: skill.description,
      requiredCapabilities: skill.requiredCapabilities,
      payloadSchema: skill.payloadSchema,
      timeoutSeconds: skill.timeoutSeconds,
      digest: skill.digest,
    })),
    declinedSkills: agent.declinedSkills,
  };
}

/** A task record as the API shows it. */
export function toApiTask(task: TaskRecord): ApiTask {
  return {
    id: task.id,
    title: task.title,
    payload: task.payload,
    requiredCapabilities: task.requiredCapabilities,
    skill: task.skill,
    status: task.status,
    tenant: task.tenant,
    assignedAgentId: task.assignedAgentId,
    priority: task.priority,
    attempt: task.attempt,
    maxAttempts: task.maxAttempts,
    leaseExpiresAt: iso(task.leaseExpiresAt),
    result: task.result,
    error: task.error,
    createdAt: task.createdAt.toISOString(),
    updatedAt: task.updatedAt.toISOString(),
    retryBackoffMs: task.retryBackoffMs,
    notBefore: iso(task.notBefore),
    idempotencyKey: task.idempotencyKey,
    expiresAt: iso(task.expiresAt),
  };
}

/** An event-log entry as the API shows it. */
export function toApiTaskEvent(event: TaskEvent): ApiTaskEvent {
  return {
    id: event.id,
    from: event.from,
    to: event.to,
    agentId: event.agentId,
    attempt: event.attempt,
    reason: event.reason,
    at: event.at.toISOString(),
  };
}

/** A tenant record as the API shows it. */
export function toApiTenant(tenant: TenantRecord): ApiTenant {
  return {
    tenant: tenant.tenantId,
    jail: tenant.jail,
    collection: tenant.collection,
    collectionId: tenant.collectionId,
    status: tenant.status,
    createdAt: tenant.createdAt.toISOString(),
    updatedAt: tenant.updatedAt.toISOString(),
  };
}

/** A tenant event-log entry as the API shows it. */
export function toApiTenantEvent(event: TenantEvent): ApiTenantEvent {
  return {
    at: event.at.toISOString(),
    from: event.from,
    to: event.to,
    reason: event.reason,
    details: event.details,
  };
}
