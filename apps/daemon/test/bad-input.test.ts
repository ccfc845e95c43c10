import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Daemon, raw, snapshot, startDaemon } from './daemon-harness.js';

interface Exchange {
  method: string;
  path: string;
  body?: string | Buffer;
  contentType?: string;
  token?: 'operator' | 'agent' | 'none';
}

describe('bad input gets a clear 4xx and changes nothing', () => {
  let daemon: Daemon;
  let agentId: string;
  let agentToken: string;
  let doneTask: string;
  let parkedTask: string;

  beforeAll(async () => {
    daemon = await startDaemon({ args: ['--heartbeat-ttl', '1h'] });
    const { agent, token } = await daemon.operator.registerAgent({
      name: 'domedog',
      capabilities: ['linux'],
    });
    agentId = agent.id;
    agentToken = token;
    const { task } = await daemon.operator.intakeTask({ title: 'done', requiredCapabilities: ['linux'] });
    await daemon.client(token).transitionTask(task.id, { to: 'done', attempt: 1 });
    doneTask = task.id;
    parkedTask = (await daemon.operator.intakeTask({ title: 'parked', requiredCapabilities: ['gpu'] })).task
      .id;
  });
  afterAll(() => daemon.dispose());

  function send(exchange: Exchange) {
    const headers: Record<string, string> = {};
    if (exchange.token !== 'none') {
      headers.authorization = `Bearer ${exchange.token === 'agent' ? agentToken : daemon.operatorToken}`;
    }
    if (exchange.contentType !== undefined) headers['content-type'] = exchange.contentType;
    else if (exchange.body !== undefined) headers['content-type'] = 'application/json';
    return raw(daemon.socketPath, {
      method: exchange.method,
      path: exchange.path,
      headers,
      ...(exchange.body !== undefined ? { body: exchange.body } : {}),
    });
  }

  const unknownId = '00000000-0000-4000-8000-000000000000';
  const cases: [string, () => Exchange, number, string, RegExp?][] = [
    [
      'malformed JSON',
      () => ({ method: 'POST', path: '/v1/tasks', body: '{"title": "x",' }),
      400,
      'COLIBRI_INVALID_INPUT',
      /not valid JSON/,
    ],
    [
      'a JSON string instead of an object',
      () => ({ method: 'POST', path: '/v1/tasks', body: '"hello"' }),
      400,
      'COLIBRI_INVALID_INPUT',
      /Expected Object/,
    ],
    ['an empty body', () => ({ method: 'POST', path: '/v1/tasks', body: '' }), 400, 'COLIBRI_INVALID_INPUT'],
    [
      'a wrong content type',
      () => ({
        method: 'POST',
        path: '/v1/tasks',
        body: 'title=x',
        contentType: 'application/x-www-form-urlencoded',
      }),
      400,
      'COLIBRI_INVALID_INPUT',
      /Content-Type: application\/json/,
    ],
    [
      'a body over the limit',
      () => ({
        method: 'POST',
        path: '/v1/tasks',
        body: JSON.stringify({
          title: 'big',
          requiredCapabilities: [],
          payload: 'x'.repeat(2 * 1024 * 1024),
        }),
      }),
      413,
      'COLIBRI_PAYLOAD_TOO_LARGE',
    ],
    [
      'a payload over 1 MiB inside the body limit',
      () => ({
        method: 'POST',
        path: '/v1/tasks',
        body: JSON.stringify({
          title: 'big',
          requiredCapabilities: [],
          payload: 'x'.repeat(1024 * 1024 + 10),
        }),
      }),
      400,
      'COLIBRI_INVALID_INPUT',
      /limit/,
    ],
    [
      'an upper-case tag',
      () => ({
        method: 'POST',
        path: '/v1/tasks',
        body: JSON.stringify({ title: 't', requiredCapabilities: ['Linux'] }),
      }),
      400,
      'COLIBRI_INVALID_CAPABILITY',
      /did you mean "linux"/,
    ],
    [
      'a tag with a space',
      () => ({
        method: 'POST',
        path: '/v1/agents',
        body: JSON.stringify({ name: 'x', capabilities: ['image render'] }),
      }),
      400,
      'COLIBRI_INVALID_CAPABILITY',
    ],
    [
      'tags as a string',
      () => ({
        method: 'PUT',
        path: `/v1/agents/${agentId}/capabilities`,
        body: JSON.stringify({ capabilities: 'linux,gpu' }),
      }),
      400,
      'COLIBRI_INVALID_CAPABILITY',
    ],
    [
      'a misspelt field',
      () => ({
        method: 'POST',
        path: '/v1/tasks',
        body: JSON.stringify({ title: 't', requiredCapabilites: [] }),
      }),
      400,
      'COLIBRI_INVALID_INPUT',
      /requiredCapabilites: unknown field/,
    ],
    [
      'a bad agent name',
      () => ({
        method: 'POST',
        path: '/v1/agents',
        body: JSON.stringify({ name: '../etc', capabilities: [] }),
      }),
      400,
      'COLIBRI_INVALID_INPUT',
    ],
    [
      'a taken agent name',
      () => ({
        method: 'POST',
        path: '/v1/agents',
        body: JSON.stringify({ name: 'domedog', capabilities: [] }),
      }),
      409,
      'COLIBRI_AGENT_NAME_TAKEN',
    ],
    [
      'an unknown task id',
      () => ({ method: 'GET', path: `/v1/tasks/${unknownId}` }),
      404,
      'COLIBRI_TASK_NOT_FOUND',
    ],
    [
      'a malformed task id',
      () => ({ method: 'GET', path: "/v1/tasks/1'%20or%20'1'='1" }),
      404,
      'COLIBRI_TASK_NOT_FOUND',
    ],
    [
      'an unknown agent id',
      () => ({ method: 'POST', path: `/v1/agents/${unknownId}/heartbeat` }),
      404,
      'COLIBRI_AGENT_NOT_FOUND',
    ],
    [
      'polling an unknown agent',
      () => ({ method: 'POST', path: `/v1/agents/${unknownId}/poll` }),
      404,
      'COLIBRI_AGENT_NOT_FOUND',
    ],
    [
      'moving an unknown task',
      () => ({ method: 'POST', path: `/v1/tasks/${unknownId}/transition`, body: '{"to":"done"}' }),
      404,
      'COLIBRI_TASK_NOT_FOUND',
    ],
    [
      'done → running',
      () => ({ method: 'POST', path: `/v1/tasks/${doneTask}/transition`, body: '{"to":"running"}' }),
      409,
      'COLIBRI_ILLEGAL_TRANSITION',
      /done → running is not allowed/,
    ],
    [
      'parked → done',
      () => ({ method: 'POST', path: `/v1/tasks/${parkedTask}/transition`, body: '{"to":"done"}' }),
      409,
      'COLIBRI_ILLEGAL_TRANSITION',
    ],
    [
      'transition to assigned',
      () => ({ method: 'POST', path: `/v1/tasks/${parkedTask}/transition`, body: '{"to":"assigned"}' }),
      400,
      'COLIBRI_INVALID_INPUT',
    ],
    [
      'a result on cancel',
      () => ({
        method: 'POST',
        path: `/v1/tasks/${parkedTask}/transition`,
        body: '{"to":"cancelled","result":1}',
      }),
      400,
      'COLIBRI_INVALID_INPUT',
    ],
    ['an unknown route', () => ({ method: 'GET', path: '/v2/tasks' }), 404, 'COLIBRI_ROUTE_NOT_FOUND'],
    [
      'a wrong method',
      () => ({ method: 'DELETE', path: `/v1/tasks/${parkedTask}` }),
      405,
      'COLIBRI_METHOD_NOT_ALLOWED',
    ],
    [
      'a wait over 60 s',
      () => ({ method: 'POST', path: `/v1/agents/${agentId}/poll?wait=61` }),
      400,
      'COLIBRI_INVALID_INPUT',
      /at most 60/,
    ],
    [
      'a non-numeric limit',
      () => ({ method: 'GET', path: '/v1/tasks?limit=ten' }),
      400,
      'COLIBRI_INVALID_INPUT',
    ],
    [
      'an unknown status filter',
      () => ({ method: 'GET', path: '/v1/tasks?status=lost' }),
      400,
      'COLIBRI_INVALID_INPUT',
    ],
    [
      'a repeated query key',
      () => ({ method: 'GET', path: '/v1/tasks?status=parked&status=done' }),
      400,
      'COLIBRI_INVALID_INPUT',
    ],
    [
      'an unknown query key',
      () => ({ method: 'GET', path: '/v1/agents?colour=red' }),
      400,
      'COLIBRI_INVALID_INPUT',
    ],
    // Unknown fields are refused on every route that takes a body, heartbeat and poll included.
    ...(['heartbeat', 'poll'] as const).map((what): [string, () => Exchange, number, string, RegExp] => [
      `an unknown field in a ${what}`,
      () => ({ method: 'POST', path: `/v1/agents/${agentId}/${what}`, body: '{"colour":"red"}' }),
      400,
      'COLIBRI_INVALID_INPUT',
      /colour: unknown field/,
    ]),
    [
      'an unknown field in a collection reset',
      () => ({ method: 'POST', path: '/v1/tenants/acme/reset-collection', body: '{"force":true}' }),
      400,
      'COLIBRI_INVALID_INPUT',
      /force: unknown field/,
    ],
    // A NUL in any text field is refused at the boundary, naming the field (it was a 500 on
    // PostgreSQL and stored on SQLite).
    ...(
      [
        ['POST', '/v1/tasks', { title: 'a\u0000b', requiredCapabilities: [] }, 'title'],
        ['POST', '/v1/agents', { name: 'nul-host', host: 'h\u0000', capabilities: [] }, 'host'],
        ['POST', '/v1/agents/:agent/offline', { reason: '\u0000' }, 'reason'],
        ['POST', '/v1/agents/:agent/retire', { reason: 'gone\u0000' }, 'reason'],
        ['POST', '/v1/tasks/:parked/transition', { to: 'cancelled', reason: 'x\u0000' }, 'reason'],
        ['POST', '/v1/tasks/:parked/transition', { to: 'failed', error: 'x\u0000' }, 'error'],
        ['POST', '/v1/tenants/acme/status', { status: 'failed', reason: 'x\u0000' }, 'reason'],
        [
          'POST',
          '/v1/tenants/acme/provision',
          { outcome: 'failed', collectionId: null, reason: 'x\u0000' },
          'reason',
        ],
      ] as const
    ).map(([method, path, body, field]): [string, () => Exchange, number, string, RegExp] => [
      `a NUL in ${path} ${field}`,
      () => ({
        method,
        path: path.replace(':agent', agentId).replace(':parked', parkedTask),
        body: JSON.stringify(body),
      }),
      400,
      'COLIBRI_INVALID_INPUT',
      new RegExp(`${field}: must not contain a NUL character`),
    ]),
    [
      'a tenant id holding a NUL',
      () => ({ method: 'GET', path: '/v1/tenants/a%00b' }),
      404,
      'COLIBRI_TENANT_NOT_FOUND',
    ],
    [
      'a stale attempt',
      () => ({
        method: 'POST',
        path: `/v1/tasks/${doneTask}/transition`,
        body: '{"to":"done","attempt":1}',
        token: 'agent',
      }),
      409,
      'COLIBRI_ILLEGAL_TRANSITION',
    ],
  ];

  it.each(cases)('%s', async (_, exchange, status, code, message) => {
    const before = await snapshot(daemon);
    const answer = await send(exchange());
    expect(answer.status).toBe(status);
    const error = (answer.json as { error: { code: string; message: string } }).error;
    expect(error.code).toBe(code);
    expect(error.message.length).toBeGreaterThan(10);
    if (message) expect(error.message).toMatch(message);
    expect(await snapshot(daemon)).toBe(before);
  });

  it('survives a seeded fuzz run: never a 5xx, and a refused request changes nothing', async () => {
    const seed = Number(process.env.COLIBRI_FUZZ_SEED ?? 20261121);
    let state = seed >>> 0;
    const random = () => {
      // mulberry32
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const ids = [agentId, doneTask, parkedTask, unknownId, 'x', '%00', '..', '%E0%A4%A', 'a'.repeat(300)];
    const paths = [
      () => '/v1/status',
      () => '/v1/agents',
      () => `/v1/agents/${pick(ids)}/heartbeat`,
      () => `/v1/agents/${pick(ids)}/poll?wait=${pick(['0', '-1', 'x', '61', ''])}`,
      () => `/v1/agents/${pick(ids)}/capabilities`,
      () => '/v1/tasks',
      () => `/v1/tasks?limit=${pick(['0', '1', '99999', 'NaN'])}&status=${pick(['parked', 'x', ''])}`,
      () => `/v1/tasks/${pick(ids)}`,
      () => `/v1/tasks/${pick(ids)}/transition`,
      () => '/v1/join-tokens',
      () => '/metrics',
      () => `/${pick(['', 'v1', 'v1/', '..', 'v1/tasks/', '%2e%2e'])}`,
    ];
    const scalar = () =>
      pick<() => unknown>([
        () => null,
        () => random() > 0.5,
        () => Math.floor(random() * 2000) - 1000,
        () => random() * 1e12,
        () =>
          pick([
            '',
            'linux',
            'Linux',
            'done',
            'parked',
            'running',
            'acme',
            '../x',
            '\u0000',
            '💥',
            'a'.repeat(600),
          ]),
      ])();
    const value = (depth: number): unknown => {
      if (depth > 2 || random() < 0.5) return scalar();
      if (random() < 0.5) return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1));
      const keys = [
        'title',
        'requiredCapabilities',
        'capabilities',
        'name',
        'tenant',
        'to',
        'attempt',
        'result',
        'payload',
        'priority',
        'maxAttempts',
        'ttlSeconds',
        'host',
        'error',
        'reason',
        'junk',
      ];
      return Object.fromEntries(
        Array.from({ length: Math.floor(random() * 5) }, () => [pick(keys), value(depth + 1)]),
      );
    };
    const bodies = [
      () => undefined,
      () => JSON.stringify(value(0)),
      () => JSON.stringify(value(0)).slice(0, Math.floor(random() * 20)),
      () => Buffer.from(Array.from({ length: 64 }, () => Math.floor(random() * 256))),
      () => JSON.stringify({ title: 'fuzz', requiredCapabilities: [pick(['Linux', 'gpu gpu', ''])] }),
    ];
    let before = await snapshot(daemon);
    const statuses = new Map<number, number>();
    for (let i = 0; i < 250; i++) {
      const exchange: Exchange = {
        method: pick(['GET', 'POST', 'PUT', 'DELETE', 'PATCH']),
        path: pick(paths)(),
        token: pick(['operator', 'operator', 'operator', 'agent', 'none'] as const),
      };
      const body = pick(bodies)();
      if (body !== undefined) exchange.body = body;
      if (random() < 0.1) exchange.contentType = pick(['text/plain', 'application/json; charset=utf-8', '']);
      const answer = await send(exchange);
      if (process.env.FUZZ_DEBUG)
        console.log(
          i,
          exchange.method,
          exchange.path,
          exchange.contentType,
          typeof exchange.body === 'string' ? exchange.body.slice(0, 80) : exchange.body,
          answer.status,
        );
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      const context = `seed ${seed}, request ${i}: ${exchange.method} ${exchange.path} -> ${answer.status} ${answer.text.slice(0, 300)}`;
      expect(answer.status, context).toBeLessThan(500);
      expect(answer.status, context).toBeGreaterThanOrEqual(200);
      const after = await snapshot(daemon);
      if (answer.status >= 400) {
        expect((answer.json as { error?: { code?: string } } | undefined)?.error?.code, context).toEqual(
          expect.stringMatching(/^COLIBRI_/),
        );
        expect(after, context).toBe(before);
      }
      before = after;
    }
    // The run did exercise refusals (and a mix of statuses), not just one path.
    expect([...statuses.keys()].filter((s) => s >= 400).length).toBeGreaterThan(3);
  });
});
