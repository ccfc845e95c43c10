import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ColibriError, isColibriError } from '@colibri/errors';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from './create-client.js';

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: string;
}

const dir = mkdtempSync(join(tmpdir(), 'colibri-client-'));
const socketPath = join(dir, 'test.sock');
let server: Server;
let seen: Seen[] = [];
let respond: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end('{}');

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
        body,
      });
      respond(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  seen = [];
  respond = (_req, res) => res.end('{}');
});

/** Waits until the test server has read `n` requests (a failure guard bounds it). */
async function eventuallySeen(n: number): Promise<void> {
  for (let i = 0; i < 400 && seen.length < n; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  if (seen.length < n) throw new Error(`the server saw ${seen.length} requests, expected ${n}`);
}

async function rejection(promise: Promise<unknown>): Promise<ColibriError> {
  try {
    await promise;
  } catch (error) {
    if (isColibriError(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('createClient', () => {
  it('sends the bearer token and JSON, and parses JSON back', async () => {
    respond = (_req, res) => {
      res.statusCode = 201;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ task: { id: 't1' }, assignedTo: null, warnings: [] }));
    };
    const client = createClient({ socketPath, token: 'secret-token' });
    const answer = await client.intakeTask({ title: 'render', requiredCapabilities: ['image-render'] });
    expect(answer).toEqual({ task: { id: 't1' }, assignedTo: null, warnings: [] });
    expect(seen).toEqual([
      {
        method: 'POST',
        url: '/v1/tasks',
        authorization: 'Bearer secret-token',
        contentType: 'application/json',
        body: JSON.stringify({ title: 'render', requiredCapabilities: ['image-render'] }),
      },
    ]);
  });

  it('keeps its connection open between requests (keep-alive); a connection the server closed is replaced', async () => {
    let connections = 0;
    const count = () => {
      connections++;
    };
    server.on('connection', count);
    try {
      const client = createClient({ socketPath });
      for (let i = 0; i < 5; i++) await client.status();
      expect(connections).toBe(1);
      // The server drops its idle connections (as colibrid does when it stops, or after its
      // keep-alive timeout): the next request opens a new one instead of failing.
      server.closeIdleConnections();
      // Then one poll phase of the event loop (setImmediate runs after it) reads the FIN.
      await new Promise((resolve) => setTimeout(resolve, 50));
      await new Promise((resolve) => setImmediate(resolve));
      await client.status();
      expect(connections).toBe(2);
      expect(seen).toHaveLength(6);
      // Another client has connections of its own.
      await createClient({ socketPath }).status();
      expect(connections).toBe(3);
    } finally {
      server.off('connection', count);
    }
  });

  it('builds each route: ids escaped, filters as a query string, metrics as text', async () => {
    const client = createClient({ socketPath });
    await client.listTasks({ status: 'parked', tenant: 'acme', limit: 5 });
    await client.listAgents();
    await client.poll('a/b', { waitSeconds: 3 });
    await client.heartbeat('a1');
    await client.updateCapabilities('a1', ['linux']);
    await client.transitionTask('t1', { to: 'done', attempt: 2 });
    await client.showTask('t1');
    await client.createJoinToken({ tenant: 'acme' });
    await client.status();
    respond = (_req, res) => res.end('colibri_tasks{status="parked"} 1\n');
    expect(await client.metrics()).toBe('colibri_tasks{status="parked"} 1\n');
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'GET /v1/tasks?status=parked&tenant=acme&limit=5',
      'GET /v1/agents',
      'POST /v1/agents/a%2Fb/poll?wait=3',
      'POST /v1/agents/a1/heartbeat',
      'PUT /v1/agents/a1/capabilities',
      'POST /v1/tasks/t1/transition',
      'GET /v1/tasks/t1',
      'POST /v1/join-tokens',
      'GET /v1/status',
      'GET /metrics',
    ]);
    expect(seen[0]?.authorization).toBeUndefined();
  });

  it('builds the tenant routes: names escaped, the status filter as a query string, bodies as JSON', async () => {
    const client = createClient({ socketPath });
    await client.registerTenant({ tenant: 'acme', collection: null });
    await client.listTenants();
    await client.listTenants({ status: 'failed' });
    await client.getTenant('a/b');
    await client.recordProvision('acme', { outcome: 'written', collectionId: 'c-1' });
    await client.resetTenantCollection('acme');
    await client.setTenantStatus('acme', { status: 'active', reason: 'agent registered' });
    expect(seen.map((s) => `${s.method} ${s.url} ${s.body}`)).toEqual([
      'POST /v1/tenants {"tenant":"acme","collection":null}',
      'GET /v1/tenants ',
      'GET /v1/tenants?status=failed ',
      'GET /v1/tenants/a%2Fb ',
      'POST /v1/tenants/acme/provision {"outcome":"written","collectionId":"c-1"}',
      'POST /v1/tenants/acme/reset-collection ',
      'POST /v1/tenants/acme/status {"status":"active","reason":"agent registered"}',
    ]);
  });

  it('builds the retirement, join-token revocation and spawn routes', async () => {
    const client = createClient({ socketPath });
    await client.listAgents({ includeRetired: true });
    await client.listAgents({ includeRetired: false, tenant: 'acme' });
    await client.retireAgent('a/1', { reason: 'jail destroyed' });
    await client.revokeJoinToken('join-token');
    await client.spawnAgent({ name: 'acme-2', tenant: 'acme', capabilities: ['linux'] });
    await client.destroyAgent('acme-2');
    await client.destroyAgent('acme-2', { tenant: 'acme' });
    expect(seen.map((s) => `${s.method} ${s.url} ${s.body}`)).toEqual([
      'GET /v1/agents?includeRetired=true ',
      'GET /v1/agents?tenant=acme ',
      'POST /v1/agents/a%2F1/retire {"reason":"jail destroyed"}',
      'POST /v1/join-tokens/revoke {"token":"join-token"}',
      'POST /v1/spawn {"name":"acme-2","tenant":"acme","capabilities":["linux"]}',
      'POST /v1/spawn/destroy {"name":"acme-2"}',
      'POST /v1/spawn/destroy {"name":"acme-2","tenant":"acme"}',
    ]);
  });

  it("a spawn waits longer than the client's timeout, and a failed one keeps the rollback details", async () => {
    respond = (_req, res) => {
      setTimeout(() => {
        res.statusCode = 503;
        res.end(
          JSON.stringify({
            error: {
              code: 'COLIBRI_VAULT_SYNC_FAILED',
              message: 'spawn of acme-2 failed at provision: bw sync failed; rolled back: destroy jail',
              details: {
                step: 'provision',
                steps: [],
                rollback: [{ action: 'destroy jail', status: 'done', detail: '' }],
              },
            },
          }),
        );
      }, 300);
    };
    const client = createClient({ socketPath, timeoutMs: 100 });
    const error = await rejection(client.spawnAgent({ name: 'acme-2', tenant: 'acme' }, { timeoutMs: 5000 }));
    expect(error.code).toBe('COLIBRI_VAULT_SYNC_FAILED');
    expect(error.details).toMatchObject({
      step: 'provision',
      rollback: [{ action: 'destroy jail' }],
      status: 503,
    });
    const late = await rejection(client.spawnAgent({ name: 'acme-2', tenant: 'acme' }, { timeoutMs: 50 }));
    expect(late.code).toBe('COLIBRI_DAEMON_UNREACHABLE');
  });

  it("turns the daemon's error envelope into a ColibriError with its code", async () => {
    respond = (_req, res) => {
      res.statusCode = 409;
      res.end(
        JSON.stringify({
          error: { code: 'COLIBRI_STALE_ATTEMPT', message: 'attempt 1 is stale', details: { taskId: 't1' } },
        }),
      );
    };
    const error = await rejection(createClient({ socketPath }).transitionTask('t1', { to: 'done' }));
    expect(error.code).toBe('COLIBRI_STALE_ATTEMPT');
    expect(error.message).toBe('attempt 1 is stale');
    expect(error.details).toEqual({ taskId: 't1', status: 409 });
  });

  it('an unknown code or a body that is not an envelope becomes COLIBRI_INTERNAL', async () => {
    respond = (_req, res) => {
      res.statusCode = 400;
      res.end(JSON.stringify({ error: { code: 'SOMETHING_NEW', message: 'new' } }));
    };
    expect((await rejection(createClient({ socketPath }).status())).code).toBe('COLIBRI_INTERNAL');
    respond = (_req, res) => {
      res.statusCode = 502;
      res.end('<html>bad gateway</html>');
    };
    const error = await rejection(createClient({ socketPath }).status());
    expect(error.code).toBe('COLIBRI_INTERNAL');
    expect(error.message).toContain('HTTP 502');
  });

  it('a missing socket is COLIBRI_DAEMON_UNREACHABLE naming it', async () => {
    const missing = join(dir, 'nobody.sock');
    const error = await rejection(createClient({ socketPath: missing }).status());
    expect(error.code).toBe('COLIBRI_DAEMON_UNREACHABLE');
    expect(error.message).toBe(
      `cannot reach colibrid at unix socket ${missing} (ENOENT): is colibrid running?`,
    );
  });

  it('a refused TCP connection is COLIBRI_DAEMON_UNREACHABLE naming the URL', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const error = await rejection(createClient({ url: `http://127.0.0.1:${port}` }).status());
    expect(error.code).toBe('COLIBRI_DAEMON_UNREACHABLE');
    expect(error.message).toContain(`http://127.0.0.1:${port}`);
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).toContain('is colibrid running?');
  });

  it('a daemon that does not answer in time is COLIBRI_DAEMON_UNREACHABLE', async () => {
    respond = () => {}; // never answers
    const error = await rejection(createClient({ socketPath, timeoutMs: 100 }).status());
    expect(error.code).toBe('COLIBRI_DAEMON_UNREACHABLE');
    expect(error.message).toMatch(/did not answer within .* is colibrid running\?/);
  });

  it("goOffline posts the optional reason to the agent's offline route", async () => {
    respond = (_req, res) => res.end(JSON.stringify({ agent: {}, requeued: ['t1'], failed: [] }));
    const client = createClient({ socketPath, token: 'agent-token' });
    expect(await client.goOffline('a/b', { reason: 'drained' })).toMatchObject({ requeued: ['t1'] });
    await client.goOffline('c');
    expect(seen.map((s) => `${s.method} ${s.url} ${s.body}`)).toEqual([
      'POST /v1/agents/a%2Fb/offline {"reason":"drained"}',
      'POST /v1/agents/c/offline {}',
    ]);
  });

  it("an aborted long poll rejects at once with the signal's reason", async () => {
    respond = () => {}; // a long poll that would hold until its wait runs out
    const controller = new AbortController();
    const polling = createClient({ socketPath, timeoutMs: 60_000 }).poll('a', {
      waitSeconds: 60,
      signal: controller.signal,
    });
    await eventuallySeen(1);
    const reason = new Error('agent stopping');
    controller.abort(reason);
    await expect(polling).rejects.toBe(reason);
    const early = new AbortController();
    early.abort(reason);
    await expect(createClient({ socketPath }).poll('a', { signal: early.signal })).rejects.toBe(reason);
  });

  it('talks to a TCP URL with a path prefix', async () => {
    const tcp = createServer((req, res) => res.end(JSON.stringify({ path: req.url })));
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    const { port } = tcp.address() as AddressInfo;
    try {
      const answer = await createClient({ url: `http://127.0.0.1:${port}/colibri/` }).status();
      expect(answer).toEqual({ path: '/colibri/v1/status' });
    } finally {
      await new Promise((resolve) => tcp.close(resolve));
    }
  });

  it.each([
    [{}, /exactly one/],
    [{ socketPath, url: 'http://x' }, /exactly one/],
    [{ url: 'not a url' }, /not a URL/],
    [{ url: 'ftp://x' }, /http/],
    [{ url: 'http://user:pw@x' }, /credentials/],
  ])('refuses bad options %j', (options, message) => {
    expect(() => createClient(options)).toThrow(message);
  });
});
