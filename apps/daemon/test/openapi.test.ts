import { API_ROUTES, type ApiRoute } from '@colibri/api';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Daemon, raw, startDaemon } from './daemon-harness.js';

interface Operation {
  operationId: string;
  security?: unknown[];
  parameters?: { name: string; in: string; required: boolean }[];
  requestBody?: {
    required: boolean;
    content: {
      'application/json': {
        schema: { properties?: Record<string, unknown>; required?: string[]; additionalProperties?: boolean };
      };
    };
  };
  responses: Record<string, unknown>;
}
interface Document {
  openapi: string;
  info: { version: string };
  paths: Record<string, Record<string, Operation>>;
}

const openApiPath = (path: string) => path.replace(/:([a-zA-Z]+)/g, '{$1}');
const routeById = (id: string): ApiRoute => {
  const route = API_ROUTES.find((r) => r.id === id);
  if (route === undefined) throw new Error(`no route ${id}`);
  return route;
};

describe('GET /v1/openapi.json', () => {
  let daemon: Daemon;
  let document: Document;
  beforeAll(async () => {
    daemon = await startDaemon({ args: ['--heartbeat-ttl', '1h'] });
    const answer = await raw(daemon.socketPath, {
      method: 'GET',
      path: '/v1/openapi.json',
      headers: { authorization: `Bearer ${daemon.operatorToken}` },
    });
    expect(answer.status).toBe(200);
    document = answer.json as Document;
  });
  afterAll(() => daemon.dispose());

  /** Sends `body` (or none) to the route `id` with `params`, as the operator unless `token` says otherwise. */
  const call = (id: string, params: Record<string, string>, body?: unknown, token = daemon.operatorToken) => {
    const route = routeById(id);
    const path = route.path.replace(/:([a-zA-Z]+)/g, (_, name: string) => encodeURIComponent(params[name]!));
    return raw(daemon.socketPath, {
      method: route.method,
      path,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  };

  it('is OpenAPI 3.1 with every route of the route table, and nothing else', () => {
    expect(document.openapi).toBe('3.1.0');
    const documented = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => `${method.toUpperCase()} ${path} ${op.operationId}`),
    );
    const table = API_ROUTES.map((r) => `${r.method} ${openApiPath(r.path)} ${r.id}`);
    expect(documented.sort()).toEqual(table.sort());
    expect(table.length).toBeGreaterThanOrEqual(25);
    // Only /healthz is open; its path parameters and query strings are documented.
    for (const route of API_ROUTES) {
      const op = document.paths[openApiPath(route.path)]![route.method.toLowerCase()]!;
      expect(op.security, route.id).toEqual(route.access === 'public' ? [] : undefined);
      const statuses = [route.status, ...(route.repeatStatus === undefined ? [] : [route.repeatStatus])];
      expect(Object.keys(op.responses).sort()).toEqual([...statuses.map(String), 'default'].sort());
    }
    const poll = document.paths['/v1/agents/{id}/poll']!.post!;
    expect(poll.parameters?.map((p) => `${p.in}:${p.name}`)).toEqual(['path:id', 'query:wait']);
  });

  it('documents the request bodies the daemon accepts: a valid example passes, a missing required field and an unknown field are refused', async () => {
    const agent = await daemon.operator.registerAgent({ name: 'doc-agent', capabilities: ['linux'] });
    const ids = { id: agent.agent.id, tenant: 'acme' };
    let joinToken = '';
    // In an order in which each example is valid; spawn routes answer 503 here (no spawner), past validation.
    const examples: [string, unknown, number?][] = [
      ['registerTenant', { tenant: 'acme' }],
      ['recordProvision', { outcome: 'written', collectionId: 'c-1', reason: 'docs' }],
      ['setTenantStatus', { status: 'active', reason: 'docs' }],
      ['resetTenantCollection', {}],
      ['registerAgent', { name: 'doc-agent-2', capabilities: ['linux'], host: 'h', tenant: null }],
      ['heartbeat', {}],
      ['updateCapabilities', { capabilities: ['linux', 'doc'] }],
      ['poll', {}],
      [
        'intakeTask',
        {
          title: 'doc',
          requiredCapabilities: ['doc'],
          payload: { a: 1 },
          priority: 1,
          maxAttempts: 2,
          expireAfterSeconds: 3600,
        },
      ],
      ['goOffline', { reason: 'docs' }],
      ['prune', { olderThanSeconds: 86_400, dryRun: true }],
      ['createJoinToken', { tenant: 'acme', ttlSeconds: 60 }],
      ['revokeJoinToken', { token: '<join token>' }],
      ['retireAgent', { reason: 'docs' }],
      ['spawnAgent', { name: 'child', tenant: 'acme', capabilities: ['linux'] }, 503],
      ['destroyAgent', { name: 'child', tenant: 'acme' }, 503],
    ];
    // transitionTask and retryTask need a task in the right state: checked below.
    const withBody = API_ROUTES.filter(
      (r) => r.body !== undefined && r.id !== 'transitionTask' && r.id !== 'retryTask',
    ).map((r) => r.id);
    expect(examples.map(([id]) => id).sort()).toEqual(withBody.sort());
    for (const [id, example, expected] of examples) {
      const route = routeById(id);
      const body = id === 'revokeJoinToken' ? { token: joinToken } : example;
      const documented = document.paths[openApiPath(route.path)]![route.method.toLowerCase()]!.requestBody!;
      const schema = documented.content['application/json'].schema;
      expect(schema.additionalProperties, id).toBe(false);
      const unknown = await call(id, ids, { ...(body as object), zzUnknown: 1 });
      expect(unknown.status, `${id} with an unknown field`).toBe(400);
      expect(unknown.text).toMatch(/zzUnknown: unknown field/);
      for (const field of schema.required ?? []) {
        const { [field]: _, ...without } = body as Record<string, unknown>;
        const missing = await call(id, ids, without);
        expect(missing.status, `${id} without ${field}`).toBe(400);
        expect(missing.text).toContain(field);
      }
      expect(documented.required, id).toBe(!v.safeParse(route.body!, {}).success);
      const answer = await call(id, ids, body);
      expect(answer.status, `${id}: ${answer.text}`).toBe(expected ?? route.status);
      if (expected === undefined) {
        const checked = v.safeParse(route.response!, answer.json);
        expect(
          checked.issues?.map((i) => `${v.getDotPath(i)}: ${i.message}`),
          id,
        ).toBeUndefined();
      }
      if (id === 'createJoinToken') joinToken = (answer.json as { token: string }).token;
    }
    // transitionTask: its example needs a task in the right state.
    const { task } = await daemon.operator.intakeTask({ title: 'move me', requiredCapabilities: ['nobody'] });
    expect((await call('transitionTask', { id: task.id }, { to: 'cancelled', zzUnknown: 1 })).status).toBe(
      400,
    );
    expect((await call('transitionTask', { id: task.id }, { reason: 'x' })).status).toBe(400);
    const moved = await call('transitionTask', { id: task.id }, { to: 'cancelled', reason: 'docs' });
    expect(moved.status).toBe(200);
    expect(v.safeParse(routeById('transitionTask').response!, moved.json).success).toBe(true);
    expect((await call('retryTask', { id: task.id }, { attempts: 2, zzUnknown: 1 })).status).toBe(400);
    const retried = await call('retryTask', { id: task.id }, { attempts: 2, reason: 'docs' });
    expect(retried.status).toBe(routeById('retryTask').status);
    expect(v.safeParse(routeById('retryTask').response!, retried.json).success).toBe(true);
  });

  it('documents the answers of the routes without a body', async () => {
    const { task } = await daemon.operator.intakeTask({ title: 'parked', requiredCapabilities: ['nobody'] });
    const params = { id: task.id, tenant: 'acme' };
    for (const route of API_ROUTES.filter((r) => r.body === undefined)) {
      const answer = await call(route.id, params);
      expect(answer.status, `${route.id}: ${answer.text}`).toBe(route.status);
      if (route.response === undefined) {
        expect(route.contentType).toMatch(/^text\/plain/);
        continue;
      }
      const checked = v.safeParse(route.response, answer.json);
      expect(
        checked.issues?.map((i) => `${v.getDotPath(i)}: ${i.message}`),
        route.id,
      ).toBeUndefined();
    }
  });
});
