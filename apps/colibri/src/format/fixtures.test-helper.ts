import type { ApiAgent, ApiTask } from '@colibri/api';

/** An API agent for formatter tests. */
export function agent(overrides: Partial<ApiAgent> = {}): ApiAgent {
  return {
    id: 'a-1',
    name: 'domedog',
    host: 'domedog',
    capabilities: ['linux', 'image-render'],
    status: 'idle',
    tenant: null,
    registeredAt: '2026-06-19T11:00:00.000Z',
    lastHeartbeatAt: '2026-06-19T11:59:50.000Z',
    activeTasks: 0,
    slots: 1,
    retiredAt: null,
    spawnedBy: null,
    spawnDepth: 0,
    skills: [],
    declinedSkills: [],
    ...overrides,
  };
}

/** An API task for formatter tests. */
export function task(overrides: Partial<ApiTask> = {}): ApiTask {
  return {
    id: 't-1',
    title: 'render thumbnails',
    payload: { url: 'https://example.org' },
    requiredCapabilities: ['image-render'],
    skill: null,
    status: 'assigned',
    tenant: null,
    assignedAgentId: 'a-1',
    priority: 0,
    attempt: 1,
    maxAttempts: 3,
    leaseExpiresAt: null,
    result: null,
    error: null,
    createdAt: '2026-06-19T11:00:00.000Z',
    updatedAt: '2026-06-19T11:00:01.000Z',
    retryBackoffMs: null,
    notBefore: null,
    idempotencyKey: null,
    expiresAt: null,
    ...overrides,
  };
}
