import { expectedToolNames } from '@colibri/mcp/testing';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COLIBRI_BIN, cleanEnv, type Hive, startHive } from './testing/colibri-process.test-helper.js';

// `colibri mcp` as a real child process driven by the real MCP SDK client over stdio, against a
// real colibrid: both protocol eras, a worker round trip, and tool errors that say exactly what the
// CLI says.

type ToolResult = { isError?: boolean; structuredContent?: unknown; content?: unknown };
type Failure = { code: string; message: string };

function toolErrorOf(result: ToolResult): Failure {
  expect(result.isError).toBe(true);
  const { code, message } = (result.structuredContent as { error: Failure }).error;
  expect((result.content as { text: string }[])[0]!.text).toBe(`${message} [${code}]`);
  return { code, message };
}

describe('colibri mcp (stdio)', () => {
  let hive: Hive;
  const clients: Client[] = [];

  /** `colibri mcp ...args` spawned by the SDK's stdio transport, connected. */
  async function mcp(
    args: readonly string[],
    env: Record<string, string> = {},
    era: 'legacy' | 'auto' = 'auto',
  ): Promise<Client> {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [COLIBRI_BIN, 'mcp', ...args],
      env: cleanEnv({ COLIBRI_HOME: hive.home, ...env }) as Record<string, string>,
      stderr: 'pipe',
    });
    const client = new Client(
      { name: 'colibri-stdio-test', version: '1.0.0' },
      era === 'legacy' ? {} : { versionNegotiation: { mode: 'auto' } },
    );
    await client.connect(transport);
    clients.push(client);
    return client;
  }

  const call = (client: Client, name: string, args: Record<string, unknown> = {}) =>
    client.callTool({ name, arguments: args }) as Promise<ToolResult>;

  /** What `colibri ...args --json` printed as its error envelope. */
  async function cliError(args: readonly string[], env: Record<string, string> = {}): Promise<Failure> {
    const result = await hive.colibri([...args, '--json'], env);
    expect(result.status).not.toBe(0);
    const { code, message } = (JSON.parse(result.stdout) as { error: Failure }).error;
    return { code, message };
  }

  beforeAll(async () => {
    hive = await startHive();
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await hive.stop();
  });

  it('serves a 2026-era and a 2025-era (initialize) client; --toolsets and --read-only pick the tools', async () => {
    const modern = await mcp(['--toolsets', 'all']);
    const legacy = await mcp(['--toolsets', 'all'], {}, 'legacy');
    const names = (await modern.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expectedToolNames(['intake', 'observe', 'worker', 'admin']));
    expect(names).toContain('list_skills');
    expect((await legacy.listTools()).tools.map((t) => t.name)).toEqual(names);
    expect((await call(legacy, 'get_status')).structuredContent).toMatchObject({ driver: 'sqlite' });
    // The CLI's client answers the port's listSkills too.
    expect((await call(modern, 'list_skills')).structuredContent).toMatchObject({
      skills: expect.any(Array),
    });
    const readOnly = await mcp(['--toolsets', 'intake,worker', '--read-only']);
    expect((await readOnly.listTools()).tools.map((t) => t.name)).toEqual(
      expectedToolNames(['intake', 'worker'], { readOnly: true }),
    );
  });

  it('refuses an unknown toolset at start, like every flag error', async () => {
    const result = await hive.colibri(['mcp', '--toolsets', 'intake,wrker']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/unknown toolset "wrker".*\[COLIBRI_INVALID_INPUT\]/);
  });

  it('submits, waits and works a task end to end: an operator client and an agent worker client', async () => {
    const agent = await hive.json<{ agent: { id: string }; token: string }>([
      'register-agent',
      'domedog',
      '--capabilities',
      'linux,image-render',
    ]);
    const operator = await mcp([]);
    const worker = await mcp(['--toolsets', 'worker'], {
      COLIBRI_TOKEN: agent.token,
      COLIBRI_AGENT_ID: agent.agent.id,
    });

    const submitted = await call(operator, 'submit_task', {
      title: 'render the hive logo',
      requires: ['image-render'],
      payload: { handler: 'render' },
    });
    expect(submitted.structuredContent).toMatchObject({ assignedTo: { name: 'domedog' }, parked: null });
    const taskId = (submitted.structuredContent as { task: { id: string } }).task.id;
    const progress: unknown[] = [];
    const waiting = operator.callTool(
      { name: 'wait_for_task', arguments: { task_id: taskId, timeout_seconds: 60 } },
      { onprogress: (p) => progress.push(p), resetTimeoutOnProgress: true },
    ) as Promise<ToolResult>;

    const claimed = await call(worker, 'claim_next', { wait_seconds: 10 });
    expect(claimed.structuredContent).toMatchObject({ task: { id: taskId }, attempt: 1 });
    await call(worker, 'report_running', { task_id: taskId, attempt: 1 });
    const done = await call(worker, 'complete_task', {
      task_id: taskId,
      attempt: 1,
      result: { rendered: 'hive-logo.png' },
    });
    expect(done.structuredContent).toMatchObject({ task: { status: 'done' } });
    expect((await waiting).structuredContent).toMatchObject({
      finished: true,
      task: { status: 'done', result: { rendered: 'hive-logo.png' } },
    });
    expect(progress.length).toBeGreaterThan(0);

    // Completing it again is refused exactly as the CLI refuses it.
    const again = toolErrorOf(await call(worker, 'complete_task', { task_id: taskId, attempt: 1 }));
    expect(again.code).toBe('COLIBRI_ILLEGAL_TRANSITION');
    expect(again).toEqual(
      await cliError(['transition-task', taskId, '--to', 'done', '--attempt', '1'], {
        COLIBRI_TOKEN: agent.token,
      }),
    );
  });

  it('answers refusals and bad input with the code and message the CLI prints', async () => {
    const operator = await mcp(['--toolsets', 'all']);
    // From the daemon: identical, including what the CLI adds.
    expect(toolErrorOf(await call(operator, 'get_task', { task_id: 'no-such-task' }))).toEqual(
      await cliError(['show-task', 'no-such-task']),
    );
    const agent = await hive.json<{ token: string }>(['register-agent', 'lean', '--capabilities', 'shell']);
    const asAgent = await mcp(['--toolsets', 'all'], { COLIBRI_TOKEN: agent.token });
    expect(toolErrorOf(await call(asAgent, 'list_agents'))).toEqual(
      await cliError(['list-agents'], { COLIBRI_TOKEN: agent.token }),
    );
    expect(toolErrorOf(await call(asAgent, 'join_token', { tenant: 'acme' }))).toEqual(
      await cliError(['join-token', '--tenant', 'acme'], { COLIBRI_TOKEN: agent.token }),
    );
    // Checked before sending: the same code, the same reason, each naming its own field.
    const viaTool = toolErrorOf(await call(operator, 'submit_task', { title: 'x', requires: ['Image'] }));
    const viaCli = await cliError(['intake-task', '--title', 'x', '--capabilities', 'Image']);
    expect(viaTool.code).toBe(viaCli.code);
    expect(viaTool.message.replace(/^requires/, '')).toBe(viaCli.message.replace(/^--capabilities/, ''));
    // Nobody answering: the CLI's own message (which socket, where it came from).
    const gone = await mcp([], { COLIBRI_SOCKET: `${hive.home}/nobody.sock` });
    expect(toolErrorOf(await call(gone, 'get_status'))).toEqual(
      await cliError(['status'], { COLIBRI_SOCKET: `${hive.home}/nobody.sock` }),
    );
  });
});
