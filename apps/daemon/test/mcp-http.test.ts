import { request } from 'node:http';
import type { ColibriClient } from '@colibri/client';
import { EXPECTED_TOOLS, expectedToolNames, READ_ONLY_TOOLS } from '@colibri/mcp/testing';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Daemon, startDaemon } from './daemon-harness.js';
import { connectMcp, freePort, type ToolResult } from './mcp-harness.js';

// colibrid's POST /mcp driven by the real MCP SDK client over HTTP (TCP on loopback), against a real
// colibrid process: both protocol eras, the tools, progress, cancellation, and the same refusals as
// the HTTP API for every principal.

/** The error an API call rejects with, as the tools report it: code and message. */
async function apiError(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    const { code, message } = error as { code: string; message: string };
    return { code, message };
  }
  throw new Error('expected the API call to be refused');
}

function toolErrorOf(result: ToolResult): { code: string; message: string } {
  expect(result.isError).toBe(true);
  const { code, message } = (result.structuredContent as { error: { code: string; message: string } }).error;
  expect((result.content as { text: string }[])[0]!.text).toBe(`${message} [${code}]`);
  return { code, message };
}

describe('POST /mcp on colibrid', () => {
  let daemon: Daemon;
  let base: string;
  const clients: Client[] = [];

  /** A real SDK client on /mcp presenting `token`; `legacy` = the 2025 initialize handshake. */
  async function mcp(
    token: string,
    options: { query?: string; era?: 'legacy' | 'auto' } = {},
  ): Promise<Client> {
    const client = await connectMcp(base, token, options);
    clients.push(client);
    return client;
  }

  const call = (client: Client, name: string, args: Record<string, unknown> = {}) =>
    client.callTool({ name, arguments: args }) as Promise<ToolResult>;

  beforeAll(async () => {
    const port = await freePort();
    daemon = await startDaemon({ args: ['--listen', `127.0.0.1:${port}`] });
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await daemon.dispose();
  });

  it('serves 2026-era and 2025-era (initialize) clients the same default tools', async () => {
    const modern = await mcp(daemon.operatorToken);
    const legacy = await mcp(daemon.operatorToken, { era: 'legacy' });
    const names = (await modern.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expectedToolNames());
    expect((await legacy.listTools()).tools.map((t) => t.name)).toEqual(names);
    const status = await call(legacy, 'get_status');
    expect(status.structuredContent).toMatchObject({
      driver: 'sqlite',
      agents: { idle: expect.any(Number) },
    });
  });

  it('picks tools with ?toolsets= and ?read_only=, and refuses an unknown toolset', async () => {
    const all = await mcp(daemon.operatorToken, { query: '?toolsets=all&read_only=true' });
    expect((await all.listTools()).tools.map((t) => t.name)).toEqual(READ_ONLY_TOOLS);
    const worker = await mcp(daemon.operatorToken, { query: '?toolsets=worker' });
    expect((await worker.listTools()).tools.map((t) => t.name)).toEqual(EXPECTED_TOOLS.worker);
    const refused = await fetch(`${base}/mcp?toolsets=wrker`, {
      method: 'POST',
      headers: { authorization: `Bearer ${daemon.operatorToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({
      error: { code: 'COLIBRI_INVALID_INPUT', message: expect.stringContaining('unknown toolset "wrker"') },
    });
  });

  it('authenticates like the API and checks Host and Origin', async () => {
    const post = (headers: Record<string, string>) =>
      fetch(`${base}/mcp`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...headers,
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });
    const none = await post({});
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: { code: 'COLIBRI_UNAUTHENTICATED' } });
    const wrong = await post({ authorization: 'Bearer not-a-token-anyone-issued' });
    expect(wrong.status).toBe(401);
    const join = await daemon.operator.createJoinToken({ tenant: 'acme' }).catch(async () => {
      await daemon.operator.registerTenant({ tenant: 'acme' });
      return daemon.operator.createJoinToken({ tenant: 'acme' });
    });
    expect((await post({ authorization: `Bearer ${join.token}` })).status).toBe(401);
    const origin = await post({
      authorization: `Bearer ${daemon.operatorToken}`,
      origin: 'https://evil.example',
    });
    expect(origin.status).toBe(403);
    expect(await origin.json()).toMatchObject({ error: { code: 'COLIBRI_FORBIDDEN' } });
    // fetch will not send another Host: node:http will (what a DNS-rebound browser page sends).
    const host = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const url = new URL(base);
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          method: 'POST',
          path: '/mcp',
          headers: {
            host: 'evil.example',
            authorization: `Bearer ${daemon.operatorToken}`,
            'content-type': 'application/json',
          },
        },
        (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => {
            body += chunk.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }));
    });
    expect(host.status).toBe(403);
    expect(JSON.parse(host.body)).toMatchObject({
      error: { code: 'COLIBRI_FORBIDDEN', message: expect.stringContaining('DNS-rebinding') },
    });
  });

  it('submits a task nobody can run: parked, with the reason and a near-spelling warning', async () => {
    const { token } = await daemon.operator.registerAgent({
      name: 'lens',
      capabilities: ['linux', 'image-render'],
    });
    expect(token).toBeTruthy();
    const client = await mcp(daemon.operatorToken);
    const submitted = await call(client, 'submit_task', {
      title: 'render the logo',
      requires: ['image-rendr'],
      payload: { handler: 'render' },
    });
    expect(submitted.isError).toBeUndefined();
    expect(submitted.structuredContent).toMatchObject({
      task: { status: 'parked', requiredCapabilities: ['image-rendr'] },
      assignedTo: null,
      parked: {
        candidates: [{ agentName: 'lens', missing: ['image-rendr'] }],
        neverAdvertised: [{ tag: 'image-rendr', suggestion: 'image-render' }],
      },
      warnings: [expect.stringContaining('did you mean "image-render"?')],
    });
    const taskId = (submitted.structuredContent as { task: { id: string } }).task.id;
    const explained = await call(client, 'explain_task', { task_id: taskId });
    expect(explained.structuredContent).toMatchObject({
      parked: true,
      closestAgent: { agentName: 'lens', missing: ['image-rendr'] },
      explanation: expect.stringContaining('lens lacks image-rendr'),
    });
    const capabilities = await call(client, 'list_capabilities');
    expect(capabilities.structuredContent).toMatchObject({
      capabilities: expect.arrayContaining([
        { tag: 'image-rendr', agents: [], parkedTasks: 1 },
        { tag: 'image-render', agents: [expect.objectContaining({ name: 'lens' })], parkedTasks: 0 },
      ]),
    });
    const resource = await client.readResource({ uri: `colibri://task/${taskId}` });
    expect(JSON.parse((resource.contents[0] as { text: string }).text)).toMatchObject({
      task: { id: taskId },
    });
    const cancelled = await call(client, 'cancel_task', { task_id: taskId, reason: 'typo' });
    expect(cancelled.structuredContent).toMatchObject({ task: { status: 'cancelled' } });
    // The same bad input through the API and through the tool: the same code.
    const bad = toolErrorOf(await call(client, 'cancel_task', { task_id: taskId }));
    expect(bad).toEqual(await apiError(daemon.operator.transitionTask(taskId, { to: 'cancelled' })));
  });

  it('submit_task with idempotency_key: submitting again returns the same task; other arguments are refused', async () => {
    const client = await mcp(daemon.operatorToken);
    const args = {
      title: 'exactly once via MCP',
      requires: ['nobody-has-this'],
      idempotency_key: 'mcp-order-9',
    };
    const first = await call(client, 'submit_task', args);
    expect(first.structuredContent).toMatchObject({
      created: true,
      task: { status: 'parked', idempotencyKey: 'mcp-order-9' },
    });
    const taskId = (first.structuredContent as { task: { id: string } }).task.id;
    const again = await call(client, 'submit_task', args);
    expect(again.structuredContent).toMatchObject({ created: false, task: { id: taskId } });
    expect((again.content as { text: string }[])[0]!.text).toContain(
      'submitted before with this idempotency key',
    );
    const conflict = toolErrorOf(await call(client, 'submit_task', { ...args, priority: 5 }));
    expect(conflict.code).toBe('COLIBRI_IDEMPOTENCY_CONFLICT');
    const { tasks } = await daemon.operator.listTasks({ limit: 1000 });
    expect(tasks.filter((t) => t.idempotencyKey === 'mcp-order-9').map((t) => t.id)).toEqual([taskId]);
  });

  it('works a task as a worker: claim → running → complete, progress while waiting, a stale attempt refused', async () => {
    const operator = await mcp(daemon.operatorToken);
    const first = await daemon.operator.registerAgent({
      name: 'render-1',
      capabilities: ['gpu', 'gpu-render'],
    });
    const worker = await mcp(first.token, { query: '?toolsets=worker,intake' });

    const submitted = await call(operator, 'submit_task', { title: 'frame 1', requires: ['gpu-render'] });
    const taskId = (submitted.structuredContent as { task: { id: string } }).task.id;
    expect(submitted.structuredContent).toMatchObject({ assignedTo: { name: 'render-1' } });

    const progress: { progress: number; message?: string | undefined }[] = [];
    const waiting = operator.callTool(
      { name: 'wait_for_task', arguments: { task_id: taskId, timeout_seconds: 30 } },
      { onprogress: (p) => progress.push(p), resetTimeoutOnProgress: true },
    ) as Promise<ToolResult>;

    const claimed = await call(worker, 'claim_next', { wait_seconds: 5 });
    expect(claimed.structuredContent).toMatchObject({ task: { id: taskId, status: 'assigned' }, attempt: 1 });
    const running = await call(worker, 'report_running', { task_id: taskId, attempt: 1 });
    expect(running.structuredContent).toMatchObject({ task: { status: 'running' } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const done = await call(worker, 'complete_task', { task_id: taskId, attempt: 1, result: { frame: 1 } });
    expect(done.structuredContent).toMatchObject({ task: { status: 'done', result: { frame: 1 } } });

    const waited = await waiting;
    expect(waited.structuredContent).toMatchObject({
      finished: true,
      task: { status: 'done', result: { frame: 1 } },
    });
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.map((p) => p.message).join('\n')).toMatch(/is (assigned|running)/);

    // A second task: render-1 claims it, goes offline, render-2 gets attempt 2; render-1's late work is refused.
    const second = await call(operator, 'submit_task', { title: 'frame 2', requires: ['gpu-render'] });
    const secondId = (second.structuredContent as { task: { id: string } }).task.id;
    expect((await call(worker, 'claim_next', { wait_seconds: 5 })).structuredContent).toMatchObject({
      attempt: 1,
    });
    await daemon.operator.goOffline(first.agent.id, { reason: 'test: lease taken away' });
    const other = await daemon.operator.registerAgent({ name: 'render-2', capabilities: ['gpu-render'] });
    const otherWorker = await mcp(other.token, { query: '?toolsets=worker' });
    expect((await call(otherWorker, 'claim_next', { wait_seconds: 5 })).structuredContent).toMatchObject({
      task: { id: secondId },
      attempt: 2,
    });
    const stale = toolErrorOf(
      await call(worker, 'complete_task', { task_id: secondId, attempt: 1, result: 'late' }),
    );
    expect(stale.code).toBe('COLIBRI_STALE_ATTEMPT');
    expect(stale).toEqual(
      await apiError(
        daemon.client(first.token).transitionTask(secondId, { to: 'done', attempt: 1, result: 'late' }),
      ),
    );
    expect(
      toolErrorOf(await call(worker, 'fail_task', { task_id: secondId, attempt: 1, error: 'x' })).code,
    ).toBe('COLIBRI_STALE_ATTEMPT');
    expect((await daemon.operator.showTask(secondId)).task).toMatchObject({ status: 'assigned', attempt: 2 });
    expect(
      (await call(otherWorker, 'complete_task', { task_id: secondId, attempt: 2, result: 'ok' }))
        .structuredContent,
    ).toMatchObject({ task: { status: 'done' } });
  });

  it('stops a long claim_next when the client cancels', async () => {
    const idle = await daemon.operator.registerAgent({ name: 'idle-1', capabilities: ['nothing-comes'] });
    const worker = await mcp(idle.token, { query: '?toolsets=worker' });
    const polls = async () =>
      Number(/colibri_long_polls_waiting (\d+)/.exec(await daemon.operator.metrics())?.[1]);
    const controller = new AbortController();
    const claim = worker.callTool(
      { name: 'claim_next', arguments: { wait_seconds: 60 } },
      { signal: controller.signal },
    );
    const until = Date.now() + 10_000;
    while ((await polls()) === 0 && Date.now() < until)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await polls()).toBe(1);
    controller.abort();
    await expect(claim).rejects.toThrow();
    const gone = Date.now() + 10_000;
    while ((await polls()) !== 0 && Date.now() < gone)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await polls()).toBe(0);
  });

  it('wait_for_task: finished=false when the time runs out, and stops when the client cancels', async () => {
    const client = await mcp(daemon.operatorToken);
    const submitted = await call(client, 'submit_task', {
      title: 'never served',
      requires: ['nobody-has-this'],
    });
    const taskId = (submitted.structuredContent as { task: { id: string } }).task.id;
    const timedOut = await call(client, 'wait_for_task', { task_id: taskId, timeout_seconds: 1 });
    expect(timedOut.structuredContent).toMatchObject({
      finished: false,
      task: { id: taskId, status: 'parked' },
    });
    expect((timedOut.content as { text: string }[])[0]!.text).toMatch(/call wait_for_task again/);
    const controller = new AbortController();
    const waiting = client.callTool(
      { name: 'wait_for_task', arguments: { task_id: taskId, timeout_seconds: 120 } },
      { signal: controller.signal },
    );
    setTimeout(() => controller.abort(), 200);
    await expect(waiting).rejects.toThrow();
    // The connection stays usable, and so does the task.
    expect((await call(client, 'get_task', { task_id: taskId })).structuredContent).toMatchObject({
      task: { status: 'parked' },
    });
    expect(
      toolErrorOf(await call(client, 'wait_for_task', { task_id: taskId, timeout_seconds: 121 })).code,
    ).toBe('COLIBRI_INVALID_INPUT');
  });

  it('admin tools: a join token that registers, and a spawn refused as the API refuses it', async () => {
    const admin = await mcp(daemon.operatorToken, { query: '?toolsets=admin' });
    await daemon.operator.registerTenant({ tenant: 'initech' });
    const issued = await call(admin, 'join_token', { tenant: 'initech', ttl_seconds: 600 });
    const { token } = issued.structuredContent as { token: string };
    const joined = await daemon.client(token).registerAgent({ name: 'initech-1', capabilities: ['linux'] });
    expect(joined.agent.tenant).toBe('initech');
    // This colibrid has no spawner: the tool says what the API says (a real spawn: spawn-integration.test.ts).
    const spawn = toolErrorOf(await call(admin, 'spawn_agent', { name: 'initech-2', tenant: 'initech' }));
    expect(spawn).toEqual(
      await apiError(daemon.operator.spawnAgent({ name: 'initech-2', tenant: 'initech' })),
    );
    expect(spawn.code).toBe('COLIBRI_SPAWN_FAILED');
  });

  describe('a tenant agent through MCP gets exactly the HTTP API refusals', () => {
    let acme: { token: string; agentId: string };
    let acmeApi: ColibriClient;
    let globexTask: string;
    let sharedTask: string;
    let shared: string;

    beforeAll(async () => {
      for (const tenant of ['acme', 'globex']) {
        await daemon.operator.registerTenant({ tenant }).catch(() => undefined);
      }
      const join = await daemon.operator.createJoinToken({ tenant: 'acme' });
      const registered = await daemon
        .client(join.token)
        .registerAgent({ name: 'acme-1', capabilities: ['report'] });
      acme = { token: registered.token, agentId: registered.agent.id };
      acmeApi = daemon.client(registered.token);
      shared = (await daemon.operator.registerAgent({ name: 'shared-lane', capabilities: ['zzz-other'] }))
        .agent.id;
      globexTask = (
        await daemon.operator.intakeTask({
          title: 'globex secret',
          requiredCapabilities: ['report'],
          tenant: 'globex',
          payload: { secret: 42 },
        })
      ).task.id;
      sharedTask = (await daemon.operator.intakeTask({ title: 'shared', requiredCapabilities: ['zzz-none'] }))
        .task.id;
    });

    it('refuses what the API refuses, with the same code and message', async () => {
      const client = await mcp(acme.token, { query: '?toolsets=all' });
      const cases: [string, Record<string, unknown>, () => Promise<unknown>][] = [
        [
          'submit_task',
          { title: 'x', requires: [], tenant: 'globex' },
          () => acmeApi.intakeTask({ title: 'x', requiredCapabilities: [], tenant: 'globex' }),
        ],
        ['get_task', { task_id: globexTask }, () => acmeApi.showTask(globexTask)],
        ['explain_task', { task_id: sharedTask }, () => acmeApi.showTask(sharedTask)],
        ['wait_for_task', { task_id: globexTask }, () => acmeApi.showTask(globexTask)],
        ['list_tasks', { tenant: 'globex' }, () => acmeApi.listTasks({ tenant: 'globex' })],
        ['list_agents', {}, () => acmeApi.listAgents()],
        ['list_capabilities', {}, () => acmeApi.listAgents({})],
        [
          'cancel_task',
          { task_id: globexTask, attempt: 1 },
          () => acmeApi.transitionTask(globexTask, { to: 'cancelled', attempt: 1 }),
        ],
        ['join_token', { tenant: 'acme' }, () => acmeApi.createJoinToken({ tenant: 'acme' })],
        ['claim_next', { agent_id: shared, wait_seconds: 0 }, () => acmeApi.poll(shared, {})],
        ['heartbeat', { agent_id: shared }, () => acmeApi.heartbeat(shared)],
      ];
      for (const [tool, args, api] of cases) {
        const viaTool = toolErrorOf(await call(client, tool, args));
        expect({ tool, ...viaTool }).toEqual({ tool, ...(await apiError(api())) });
        expect(viaTool.code).toBe('COLIBRI_FORBIDDEN');
      }
      await expect(client.readResource({ uri: `colibri://task/${globexTask}` })).rejects.toThrow(
        /COLIBRI_FORBIDDEN/,
      );
      await expect(client.readResource({ uri: `colibri://agent/${acme.agentId}` })).rejects.toThrow(
        /COLIBRI_FORBIDDEN/,
      );
      // What it may do: its own tenant's tasks, its own heartbeat and claims.
      const own = await call(client, 'submit_task', { title: 'own report', requires: ['report'] });
      expect(own.structuredContent).toMatchObject({
        task: { tenant: 'acme' },
        assignedTo: { name: 'acme-1' },
      });
      const listed = (await call(client, 'list_tasks')).structuredContent as { tasks: { tenant: string }[] };
      expect(listed.tasks.length).toBeGreaterThan(0);
      expect(listed.tasks.every((t) => t.tenant === 'acme')).toBe(true);
      expect((await call(client, 'heartbeat')).structuredContent).toMatchObject({
        agent: { name: 'acme-1' },
      });
      expect((await call(client, 'claim_next', { wait_seconds: 0 })).structuredContent).toMatchObject({
        task: { title: 'own report' },
      });
    });
  });

  it("list_skills shows an agent's skill, and submit_task with skill (no requires) goes to that agent", async () => {
    const painter = await daemon.operator.registerAgent({
      name: 'painter',
      capabilities: ['paint'],
      skills: [{ name: 'draw', description: 'Draw', requiredCapabilities: ['paint'] }],
    });
    const client = await mcp(daemon.operatorToken);
    const listed = await call(client, 'list_skills');
    expect(listed.isError).toBeUndefined();
    const { skills } = listed.structuredContent as { skills: { name: string }[] };
    expect(skills.find((s) => s.name === 'draw')).toMatchObject({
      name: 'draw',
      conflict: false,
      declinedBy: [],
      variants: [
        {
          description: 'Draw',
          requiredCapabilities: ['paint'],
          payloadSchema: null,
          digest: expect.stringMatching(/^[0-9a-f]{12}$/),
          agents: [{ id: painter.agent.id, name: 'painter' }],
        },
      ],
    });
    expect((listed.content as { text: string }[])[0]!.text).toContain('draw');
    const submitted = await call(client, 'submit_task', { title: 'a bird', skill: 'draw' });
    expect(submitted.isError).toBeUndefined();
    expect(submitted.structuredContent).toMatchObject({
      task: { skill: { name: 'draw' }, requiredCapabilities: ['paint'], assignedAgentId: painter.agent.id },
      assignedTo: { id: painter.agent.id, name: 'painter' },
    });
    const taskId = (submitted.structuredContent as { task: { id: string } }).task.id;
    await call(client, 'cancel_task', { task_id: taskId, reason: 'test done' });
    // Neither requires nor skill: colibrid's refusal, passed through.
    const neither = toolErrorOf(await call(client, 'submit_task', { title: 'nothing asked' }));
    expect(neither).toEqual(await apiError(daemon.operator.intakeTask({ title: 'nothing asked' })));
  });
});
