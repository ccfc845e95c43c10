import {
  listTenantsQuerySchema,
  parseRequest,
  recordProvisionRequestSchema,
  registerTenantRequestSchema,
  resetCollectionRequestSchema,
  setTenantStatusRequestSchema,
} from '@colibri/api';
import { queryObject, requireOperator } from './access.js';
import type { ApiRoute, Handler } from './app.js';
import { toApiTenant, toApiTenantEvent } from './to-api.js';

// Tenants are the operator's business: the route audience already refuses agents (403) before
// a handler runs; each handler says so again, so a route added with a wider audience stays closed.

const register: Handler = async (app, { principal, body }) => {
  requireOperator(principal, 'register tenants');
  const request = parseRequest(registerTenantRequestSchema, body, 'request body');
  const tenant = await app.store.createTenant({
    tenantId: request.tenant,
    ...(request.jail !== undefined ? { jail: request.jail } : {}),
    ...(request.collection !== undefined ? { collection: request.collection } : {}),
    at: app.clock(),
  });
  app.logger.info(
    { tenant: tenant.tenantId, jail: tenant.jail, collection: tenant.collection },
    'tenant registered',
  );
  return { status: 201, body: { tenant: toApiTenant(tenant) } };
};

const list: Handler = async (app, { principal, query }) => {
  requireOperator(principal, 'list tenants');
  const filter = parseRequest(listTenantsQuerySchema, queryObject(query), 'query');
  const tenants = await app.store.listTenants(filter.status !== undefined ? { status: filter.status } : {});
  return { status: 200, body: { tenants: tenants.map(toApiTenant) } };
};

const show: Handler = async (app, { principal, params }) => {
  requireOperator(principal, 'read tenants');
  const tenant = await app.store.getTenant(params.tenant!);
  const events = await app.store.listTenantEvents(tenant.tenantId);
  return { status: 200, body: { tenant: toApiTenant(tenant), events: events.map(toApiTenantEvent) } };
};

const provision: Handler = async (app, { principal, params, body }) => {
  requireOperator(principal, 'record provisions');
  const request = parseRequest(recordProvisionRequestSchema, body, 'request body');
  const tenant = await app.store.recordTenantProvision({
    tenantId: params.tenant!,
    outcome: request.outcome,
    collectionId: request.collectionId,
    ...(request.reason !== undefined ? { reason: request.reason } : {}),
    at: app.clock(),
  });
  app.logger.info(
    {
      tenant: tenant.tenantId,
      outcome: request.outcome,
      status: tenant.status,
      collectionId: tenant.collectionId,
    },
    'tenant provision recorded',
  );
  return { status: 200, body: { tenant: toApiTenant(tenant) } };
};

const resetCollection: Handler = async (app, { principal, params, body }) => {
  requireOperator(principal, 'reset cached collection ids');
  parseRequest(resetCollectionRequestSchema, body ?? {}, 'request body');
  const before = await app.store.getTenant(params.tenant!);
  const tenant = await app.store.resetTenantCollection(before.tenantId, { at: app.clock() });
  app.logger.info(
    { tenant: tenant.tenantId, previousCollectionId: before.collectionId },
    'tenant collection id reset',
  );
  return { status: 200, body: { tenant: toApiTenant(tenant) } };
};

const setStatus: Handler = async (app, { principal, params, body }) => {
  requireOperator(principal, 'change tenant status');
  const request = parseRequest(setTenantStatusRequestSchema, body, 'request body');
  const tenant = await app.store.setTenantStatus(params.tenant!, request.status, request.reason, {
    at: app.clock(),
  });
  app.logger.info({ tenant: tenant.tenantId, status: tenant.status }, 'tenant status changed');
  return { status: 200, body: { tenant: toApiTenant(tenant) } };
};

/** `/v1/tenants…`: operator only. */
export const tenantRoutes: readonly ApiRoute[] = [
  { method: 'POST', pattern: '/v1/tenants', audience: ['operator'], handler: register },
  { method: 'GET', pattern: '/v1/tenants', audience: ['operator'], handler: list },
  { method: 'GET', pattern: '/v1/tenants/:tenant', audience: ['operator'], handler: show },
  { method: 'POST', pattern: '/v1/tenants/:tenant/provision', audience: ['operator'], handler: provision },
  {
    method: 'POST',
    pattern: '/v1/tenants/:tenant/reset-collection',
    audience: ['operator'],
    handler: resetCollection,
  },
  { method: 'POST', pattern: '/v1/tenants/:tenant/status', audience: ['operator'], handler: setStatus },
];
