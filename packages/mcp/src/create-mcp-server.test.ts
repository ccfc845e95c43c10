import type { ApiTask, ShowTaskResponse } from '@colibri/api';
import { ColibriError } from '@colibri/errors';
import { Client, InMemoryTransport } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import { createColibriMcpServer, selectTools } from './create-mcp-server.js';
import type { HivePort } from './hive-port.js';
import { expectedToolNames, READ_ONLY_TOOLS } from './testing/index.js';
import { parseToolsets } from './toolsets.js';

const task: ApiTask = {
  id: 't1',
  title: 'render',
  payload: null,
  requiredCapabilities: ['image-render'],
  skill: null,
  status: 'parked',
  tenant: null,
  assignedAgentId: null,
  priority: 0,
  attempt: 0,
  maxAttempts: 3,
  leaseExpiresAt: null,
  result: null,
  error: null,
  createdAt: '2026-12-01T00:00:00.000Z',
  updatedAt: '2026-12-01T00:00:00.000Z',
  retryBackoffMs: null,
  notBefore: null,
  idempotencyKey: null,
  expiresAt: null,
};

/** A port that answers showTask and refuses everything else the way the daemon would. */
function fakeHive(overrides: Partial<HivePort> = {}): HivePort {
  const refuse = async (): Promise<never> => {
    throw new ColibriError('COLIBRI_FORBIDDEN', 'only the operator may list agents', { status: 403 });
  };
  const shown: ShowTaskResponse = {
    task,
    events: [],
    parked: { candidates: [], unmatchedTags: ['image-render'], neverAdvertised: [] },
    stderrTail: null,
  };
  return {
    status: refuse,
    intakeTask: refuse,
    showTask: async (id) => {
      if (id !== 't1')
        throw new ColibriError('COLIBRI_TASK_NOT_FOUND', `task ${id} does not exist`, { taskId: id });
      return shown;
    },
    listTasks: refuse,
    transitionTask: refuse,
    listAgents: refuse,
    listSkills: refuse,
    heartbeat: refuse,
    poll: refuse,
    spawnAgent: refuse,
    createJoinToken: refuse,
    ...overrides,
  };
}

async function connect(hive: HivePort, options: { toolsets?: string; readOnly?: boolean } = {}) {
  const server = createColibriMcpServer({
    hive,
    version: '0.0.0-test',
    ...(options.toolsets === undefined ? {} : { toolsets: parseToolsets(options.toolsets) }),
    ...(options.readOnly === undefined ? {} : { readOnly: options.readOnly }),
  });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'test', version: '1.0.0' });
  await client.connect(clientSide);
  return client;
}

describe('toolsets', () => {
  it('offers intake and observe by default, and only what changes nothing with readOnly', () => {
    expect(selectTools({}).map((t) => t.name)).toEqual(expectedToolNames());
    expect(selectTools({ toolsets: parseToolsets('worker,admin') }).map((t) => t.name)).toEqual(
      expectedToolNames(['worker', 'admin']),
    );
    expect(selectTools({ toolsets: parseToolsets('all'), readOnly: true }).map((t) => t.name)).toEqual(
      READ_ONLY_TOOLS,
    );
  });

  it('refuses an unknown or empty toolset by name', () => {
    expect(() => parseToolsets('intake,wrker')).toThrow(
      /unknown toolset "wrker"; use intake, observe, worker, admin or all/,
    );
    expect(() => parseToolsets(' , ')).toThrow(/give at least one/);
  });
});

describe('the MCP server', () => {
  it('lists tools with JSON Schemas from the valibot schemas', async () => {
    const client = await connect(fakeHive(), { toolsets: 'all' });
    const { tools } = await client.listTools();
    const submit = tools.find((t) => t.name === 'submit_task')!;
    expect(submit.inputSchema).toMatchObject({
      type: 'object',
      required: ['title'],
      properties: {
        title: { type: 'string', minLength: 1, maxLength: 500 },
        requires: { type: 'array', items: { type: 'string' } },
        skill: { type: 'string', minLength: 1, maxLength: 100 },
        priority: { type: 'integer', minimum: -1000, maximum: 1000 },
      },
      additionalProperties: false,
    });
    expect(submit.outputSchema).toMatchObject({
      type: 'object',
      required: expect.arrayContaining(['task', 'warnings']),
    });
    expect(submit.annotations).toMatchObject({ readOnlyHint: false });
    expect(tools.find((t) => t.name === 'get_task')?.annotations).toMatchObject({ readOnlyHint: true });
    await client.close();
  });

  it('answers bad input with a tool error carrying colibri code and message, calling nothing', async () => {
    let called = 0;
    const client = await connect(
      fakeHive({
        intakeTask: async () => {
          called += 1;
          throw new Error('unreachable');
        },
      }),
    );
    const missing = await client.callTool({
      name: 'submit_task',
      arguments: { title: '', priority: 'high' },
    });
    expect(missing.isError).toBe(true);
    expect(missing.structuredContent).toMatchObject({ error: { code: 'COLIBRI_INVALID_INPUT' } });
    expect((missing.content as { text: string }[])[0]!.text).toMatch(
      /^submit_task: title: must not be empty; priority: must be a number \[COLIBRI_INVALID_INPUT\]$/,
    );
    const unknownField = await client.callTool({
      name: 'submit_task',
      arguments: { title: 'x', requires: [], prio: 3 },
    });
    expect((unknownField.content as { text: string }[])[0]!.text).toBe(
      'submit_task: prio: unknown field (check its spelling) [COLIBRI_INVALID_INPUT]',
    );
    const badTag = await client.callTool({
      name: 'submit_task',
      arguments: { title: 'x', requires: ['Image'] },
    });
    expect(badTag.structuredContent).toMatchObject({
      error: {
        code: 'COLIBRI_INVALID_CAPABILITY',
        message:
          'requires[0]: "Image" is not a valid capability tag (tags are lower-case: did you mean "image"?)',
      },
    });
    expect(called).toBe(0);
    await client.close();
  });

  it("passes the daemon's errors through with their code, message and details (not the HTTP status)", async () => {
    const client = await connect(fakeHive());
    const result = await client.callTool({ name: 'get_task', arguments: { task_id: 'nope' } });
    expect(result).toMatchObject({
      isError: true,
      content: [{ type: 'text', text: 'task nope does not exist [COLIBRI_TASK_NOT_FOUND]' }],
      structuredContent: {
        error: {
          code: 'COLIBRI_TASK_NOT_FOUND',
          message: 'task nope does not exist',
          details: { taskId: 'nope' },
        },
      },
    });
    const agents = await client.callTool({ name: 'list_agents', arguments: {} });
    expect(agents.structuredContent).toEqual({
      error: { code: 'COLIBRI_FORBIDDEN', message: 'only the operator may list agents', details: {} },
    });
    await client.close();
  });

  it('explains a parked task and reads it as a resource', async () => {
    const client = await connect(fakeHive());
    const explained = await client.callTool({ name: 'explain_task', arguments: { task_id: 't1' } });
    expect(explained.structuredContent).toMatchObject({
      parked: true,
      closestAgent: null,
      unmatchedTags: ['image-render'],
    });
    const read = await client.readResource({ uri: 'colibri://task/t1' });
    expect(JSON.parse((read.contents[0] as { text: string }).text)).toMatchObject({ task: { id: 't1' } });
    await expect(client.readResource({ uri: 'colibri://task/nope' })).rejects.toThrow(
      /COLIBRI_TASK_NOT_FOUND/,
    );
    await client.close();
  });
});
