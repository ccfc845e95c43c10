import {
  buildOpenApiDocument,
  joinTokenRequestSchema,
  type OpenApiDocument,
  parseRequest,
  revokeJoinTokenRequestSchema,
} from '@colibri/api';
import { ColibriError } from '@colibri/errors';
import { hashToken, newToken } from '../auth/hash-token.js';
import { requireOperator } from './access.js';
import type { ApiRoute, Handler, PublicRoute } from './app.js';

const DEFAULT_JOIN_TOKEN_TTL_SECONDS = 3600;

const status: Handler = async (app, { principal }) => {
  // An agent sees its own tenant's counts only (shared agents: the shared lanes and operator tasks).
  const filter = principal.kind === 'agent' ? { tenant: principal.tenant } : {};
  const [agents, tasks] = await Promise.all([
    app.store.countAgentsByStatus(filter),
    app.store.countTasksByStatus(filter),
  ]);
  return {
    status: 200,
    body: {
      version: app.version,
      driver: app.store.driver,
      uptimeSeconds: Math.floor((app.clock().getTime() - app.startedAt) / 1000),
      agents,
      tasks,
    },
  };
};

const joinToken: Handler = async (app, { principal, body }) => {
  requireOperator(principal, 'issue join tokens');
  const request = parseRequest(joinTokenRequestSchema, body, 'request body');
  const token = newToken();
  const now = app.clock();
  const record = await app.store.createJoinToken({
    tokenHash: hashToken(token),
    tenant: request.tenant,
    expiresAt: new Date(now.getTime() + (request.ttlSeconds ?? DEFAULT_JOIN_TOKEN_TTL_SECONDS) * 1000),
    at: now,
  });
  app.logger.info({ tenant: record.tenant, expiresAt: record.expiresAt.toISOString() }, 'join token issued');
  return {
    status: 201,
    body: { token, tenant: record.tenant, expiresAt: record.expiresAt.toISOString() },
  };
};

/** Makes an unused join token unusable (a rolled-back spawn). The token is hashed, never logged. */
const revokeJoinToken: Handler = async (app, { principal, body }) => {
  requireOperator(principal, 'revoke join tokens');
  const request = parseRequest(revokeJoinTokenRequestSchema, body, 'request body');
  const revoked = await app.store.revokeJoinToken(hashToken(request.token));
  app.logger.info({ revoked }, revoked ? 'join token revoked' : 'join token revocation: nothing to revoke');
  return { status: 200, body: { revoked } };
};

const metrics: Handler = async (app, { principal }) => {
  requireOperator(principal, 'read metrics');
  const [agents, tasks, parkedByMissingTag] = await Promise.all([
    app.store.countAgentsByStatus(),
    app.store.countTasksByStatus(),
    app.dispatcher.parkedByMissingTag(),
  ]);
  return {
    status: 200,
    contentType: app.metrics.contentType,
    text: await app.metrics.render({
      uptimeSeconds: Math.floor((app.clock().getTime() - app.startedAt) / 1000),
      agents,
      tasks,
      parkedByMissingTag,
      waitingPolls: app.dispatcher.waiters.size,
      storeCommits: app.store.committedTransactions,
      storeWrites: app.store.committedWrites,
    }),
  };
};

/**
 * Liveness and store reachability, for systemd, monitors and load balancers: no token, and nothing
 * in the answer but that (no counts, no names, not the database's own error).
 */
const health = async (app: Parameters<Handler>[0]) => {
  try {
    await app.store.ping();
  } catch (error) {
    app.logger.warn({ err: error }, 'health check: the store does not answer');
    throw new ColibriError(
      'COLIBRI_STORE_UNAVAILABLE',
      'colibrid is running but its database does not answer',
      {},
    );
  }
  return { status: 200, body: { status: 'ok', store: 'ok' } };
};

let openApi: { version: string; document: OpenApiDocument } | undefined;

/** The API as OpenAPI 3.1, generated from the route table once per version (it never changes while running). */
const openApiDocument: Handler = async (app) => {
  if (openApi?.version !== app.version) {
    openApi = { version: app.version, document: buildOpenApiDocument({ version: app.version }) };
  }
  return { status: 200, body: openApi.document };
};

/** Routes served without a token. */
export const publicRoutes: readonly PublicRoute[] = [
  { method: 'GET', pattern: '/healthz', audience: ['anyone'], handler: health },
];

/** Status, join tokens and metrics. */
export const hiveRoutes: readonly ApiRoute[] = [
  { method: 'GET', pattern: '/v1/status', audience: ['operator', 'agent'], handler: status },
  { method: 'GET', pattern: '/v1/openapi.json', audience: ['operator', 'agent'], handler: openApiDocument },
  { method: 'POST', pattern: '/v1/join-tokens', audience: ['operator'], handler: joinToken },
  { method: 'POST', pattern: '/v1/join-tokens/revoke', audience: ['operator'], handler: revokeJoinToken },
  { method: 'GET', pattern: '/metrics', audience: ['operator'], handler: metrics },
];
