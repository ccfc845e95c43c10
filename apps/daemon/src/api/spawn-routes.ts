import {
  type ApiDestroyReport,
  type ApiSpawnReport,
  destroyAgentRequestSchema,
  parseRequest,
  spawnAgentRequestSchema,
} from '@colibri/api';
import { ColibriError } from '@colibri/errors';
import type { SpawnProgressEvent, SpawnReport } from '@colibri/join';
import { createGatedSpawner } from '@colibri/spawn-policy';
import type { AgentRecord } from '@colibri/store';
import type { SpawnLineage, SpawnService } from '../spawn/spawn-service.js';
import { createStoreHivePort } from '../spawn/store-hive-port.js';
import type { ApiRoute, App, Handler } from './app.js';

// "Join the hive" run by colibrid itself: the operator may spawn and destroy any jailed agent (the
// operator writes the policy); a mother agent may spawn only what the spawn policy allows, and
// destroy only its own children. A refusal changes nothing and runs nothing.

const OPERATOR: SpawnLineage = Object.freeze({ spawnedBy: null, spawnDepth: 0 });

/** The spawner, or the error that says how to get one. */
function requireSpawner(app: App): SpawnService {
  if (app.spawner === undefined) {
    throw new ColibriError(
      'COLIBRI_SPAWN_FAILED',
      'this colibrid has no spawner: start it with --spawn-driver linux|bastille (and --spawn-policy FILE to let mother agents spawn); see colibrid --help',
      { reason: 'no-spawner' },
    );
  }
  return app.spawner;
}

/** One log line per finished step and rollback action: the daemon's record of what a spawn did. */
function progressLogger(app: App, agentName: string, what: 'spawn' | 'destroy') {
  return (event: SpawnProgressEvent) => {
    if (event.kind === 'step-finished') {
      const { step, status, durationMs, detail } = event.report;
      app.logger.info({ agent: agentName, step, status, ms: durationMs, detail }, `${what} step ${status}`);
    } else if (event.kind === 'rollback') {
      const { action, status, detail } = event.action;
      (status === 'done' ? app.logger.info : app.logger.warn).call(
        app.logger,
        { agent: agentName, action, status, detail },
        `${what} rolled back`,
      );
    }
  };
}

/** The calling mother, as the policy sees her (she is authenticated, so never retired). */
async function motherOf(app: App, agentId: string): Promise<AgentRecord> {
  return app.store.getAgent(agentId);
}

/** Runs an allowed spawn, counting it as one of the mother's children while it is in flight. */
async function spawnAsChild(
  app: App,
  service: SpawnService,
  mother: AgentRecord,
  child: { agentName: string; tenant: string; capabilities: readonly string[]; depth: number },
): Promise<SpawnReport> {
  const lineage: SpawnLineage = { spawnedBy: mother.id, spawnDepth: child.depth };
  app.spawnsInFlight.set(mother.id, (app.spawnsInFlight.get(mother.id) ?? 0) + 1);
  try {
    return await service.spawn(
      { agentName: child.agentName, tenant: child.tenant, capabilities: child.capabilities, lineage },
      createStoreHivePort(app, lineage),
      progressLogger(app, child.agentName, 'spawn'),
    );
  } finally {
    const left = (app.spawnsInFlight.get(mother.id) ?? 1) - 1;
    if (left > 0) app.spawnsInFlight.set(mother.id, left);
    else app.spawnsInFlight.delete(mother.id);
  }
}

const spawn: Handler = async (app, { principal, body }) => {
  const request = parseRequest(spawnAgentRequestSchema, body, 'request body');
  const capabilities = request.capabilities ?? null;
  if (principal.kind === 'operator') {
    const service = requireSpawner(app);
    app.logger.info({ agent: request.name, tenant: request.tenant, by: 'the operator' }, 'spawn requested');
    const report = await service.spawn(
      { agentName: request.name, tenant: request.tenant, capabilities, lineage: OPERATOR },
      createStoreHivePort(app, OPERATOR),
      progressLogger(app, request.name, 'spawn'),
    );
    app.logger.info(
      { agent: report.agentName, agentId: report.agentId, outcome: report.outcome },
      'spawn finished',
    );
    return { status: 201, body: report satisfies ApiSpawnReport };
  }
  if (principal.kind !== 'agent')
    throw new ColibriError('COLIBRI_FORBIDDEN', 'only the operator or an agent may spawn');
  if (capabilities === null) {
    throw new ColibriError(
      'COLIBRI_INVALID_INPUT',
      "request body: capabilities: a mother must list the child's capabilities (its spawn policy checks every tag)",
      { fields: ['capabilities'] },
    );
  }
  const mother = await motherOf(app, principal.agentId);
  const alive = await app.store.countChildren(mother.id);
  let report: SpawnReport | undefined;
  const gate = createGatedSpawner({
    policy: app.spawnPolicy,
    parent: () => ({
      name: mother.name,
      tenant: mother.tenant,
      depth: mother.spawnDepth,
      childrenAlive: alive + (app.spawnsInFlight.get(mother.id) ?? 0),
    }),
    log: (event) => {
      const fields = { ...event, parentId: mother.id };
      if (event.event === 'spawn.denied') app.logger.warn(fields, 'spawn refused by the spawn policy');
      else app.logger.info(fields, 'spawn allowed by the spawn policy');
    },
    spawner: {
      async spawnAgent(child) {
        const service = requireSpawner(app);
        report = await spawnAsChild(app, service, mother, {
          agentName: child.name,
          tenant: request.tenant,
          capabilities: child.capabilities,
          depth: child.depth,
        });
        return { agentName: report.agentName };
      },
    },
  });
  await gate.spawnAgent({
    name: request.name,
    tenant: request.tenant,
    capabilities,
    depth: mother.spawnDepth + 1,
  });
  const done = report as SpawnReport;
  app.logger.info(
    { agent: done.agentName, agentId: done.agentId, outcome: done.outcome, parentId: mother.id },
    'spawn finished',
  );
  return { status: 201, body: done satisfies ApiSpawnReport };
};

const destroy: Handler = async (app, { principal, body }) => {
  const request = parseRequest(destroyAgentRequestSchema, body, 'request body');
  const agent = await app.store.findAgentByName(request.name);
  if (principal.kind === 'agent') {
    if (agent === undefined || agent.spawnedBy !== principal.agentId) {
      throw new ColibriError(
        'COLIBRI_FORBIDDEN',
        `an agent may destroy only the agents it spawned, and ${request.name} is not one of its children`,
        { agentName: request.name },
      );
    }
    if (request.tenant !== undefined && request.tenant !== agent.tenant) {
      throw new ColibriError(
        'COLIBRI_FORBIDDEN',
        `agent ${request.name} belongs to ${agent.tenant === null ? 'the shared lane' : `tenant ${agent.tenant}`}, not tenant ${request.tenant}`,
        { agentName: request.name },
      );
    }
  } else if (principal.kind !== 'operator') {
    throw new ColibriError('COLIBRI_FORBIDDEN', 'only the operator or an agent may destroy agents');
  }
  const tenant = request.tenant ?? (agent === undefined ? request.name : agent.tenant);
  if (tenant === null) {
    throw new ColibriError(
      'COLIBRI_INVALID_INPUT',
      `agent ${request.name} is a shared-lane agent (no tenant): colibrid only destroys jailed tenant agents; retire it with POST /v1/agents/:id/retire`,
      { agentName: request.name },
    );
  }
  const service = requireSpawner(app);
  const by = principal.kind === 'operator' ? 'the operator' : `its mother ${principal.agentId}`;
  app.logger.info({ agent: request.name, tenant, by }, 'destroy requested');
  const report = await service.destroy(
    { agentName: request.name, tenant },
    createStoreHivePort(app, OPERATOR),
    progressLogger(app, request.name, 'destroy'),
  );
  app.logger.info({ agent: report.agentName, outcome: report.outcome }, 'destroy finished');
  return { status: 200, body: report satisfies ApiDestroyReport };
};

/** `/v1/spawn…`: the operator, and mother agents within the spawn policy. */
export const spawnRoutes: readonly ApiRoute[] = [
  { method: 'POST', pattern: '/v1/spawn', audience: ['operator', 'agent'], handler: spawn },
  { method: 'POST', pattern: '/v1/spawn/destroy', audience: ['operator', 'agent'], handler: destroy },
];
