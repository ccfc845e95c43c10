import { parseRequest } from '@colibri/api';
import { ColibriError, isColibriError } from '@colibri/errors';
import {
  type CallToolResult,
  McpServer,
  ProtocolError,
  ProtocolErrorCode,
  ResourceTemplate,
  type ServerContext,
} from '@modelcontextprotocol/server';
import type { ToolContext, ToolDefinition } from './define-tool.js';
import type { HivePort } from './hive-port.js';
import { toolError } from './tool-error.js';
import { toolInputSchema, toolOutputSchema } from './tool-schema.js';
import { adminTools } from './tools/admin-tools.js';
import { intakeTools } from './tools/intake-tools.js';
import { observeTools } from './tools/observe-tools.js';
import { workerTools } from './tools/worker-tools.js';
import { DEFAULT_TOOLSETS, type Toolset } from './toolsets.js';

/** Every tool, in the order `tools/list` shows them. */
export const ALL_TOOLS: readonly ToolDefinition[] = Object.freeze([
  ...intakeTools,
  ...observeTools,
  ...workerTools,
  ...adminTools,
]);

/** How to build one MCP server instance. */
export interface ColibriMcpOptions {
  /** The daemon, acting as the caller (a `ColibriClient`, or colibrid's in-process port). */
  readonly hive: HivePort;
  /** The tool groups to offer. Default {@link DEFAULT_TOOLSETS} (intake, observe). */
  readonly toolsets?: readonly Toolset[];
  /** Offer only tools that change nothing. */
  readonly readOnly?: boolean;
  /** The agent the caller is, when known: the default `agent_id` of worker tools. */
  readonly agentId?: string | undefined;
  /** The server version reported to clients. */
  readonly version: string;
}

/** The tools `options` selects: their group is chosen, and with `readOnly` they change nothing. */
export function selectTools(
  options: Pick<ColibriMcpOptions, 'toolsets' | 'readOnly'>,
): readonly ToolDefinition[] {
  const toolsets = new Set(options.toolsets ?? DEFAULT_TOOLSETS);
  return ALL_TOOLS.filter(
    (tool) => toolsets.has(tool.toolset) && (options.readOnly !== true || tool.readOnly),
  );
}

function contextFor(options: ColibriMcpOptions, ctx: ServerContext): ToolContext {
  const progressToken = ctx.mcpReq._meta?.progressToken;
  return {
    hive: options.hive,
    agentId: options.agentId,
    signal: ctx.mcpReq.signal,
    async progress({ progress, total, message }) {
      if (progressToken === undefined || ctx.mcpReq.signal.aborted) return;
      await ctx.mcpReq.notify({
        method: 'notifications/progress',
        params: { progressToken, progress, ...(total === undefined ? {} : { total }), message },
      });
    },
  };
}

async function callTool(
  tool: ToolDefinition,
  options: ColibriMcpOptions,
  args: unknown,
  ctx: ServerContext,
): Promise<CallToolResult> {
  try {
    const parsed = parseRequest(tool.input, args ?? {}, tool.name);
    const output = await tool.run(parsed, contextFor(options, ctx));
    return {
      content: [
        { type: 'text', text: tool.summarize(output) },
        { type: 'text', text: JSON.stringify(output) },
      ],
      structuredContent: output as Record<string, unknown>,
    };
  } catch (error) {
    // A cancelled call has no one to answer; let the SDK drop it.
    if (ctx.mcpReq.signal.aborted) throw error;
    return toolError(error, tool.name);
  }
}

/** A resource read's failure: the same code and message as a tool's, as a JSON-RPC error. */
function resourceError(error: unknown, uri: string): ProtocolError {
  const failure = isColibriError(error)
    ? error
    : new ColibriError('COLIBRI_INTERNAL', `internal error reading ${uri}`, {});
  const notFound = failure.code.endsWith('_NOT_FOUND') || failure.code === 'COLIBRI_INVALID_INPUT';
  return new ProtocolError(
    notFound ? ProtocolErrorCode.InvalidParams : ProtocolErrorCode.InternalError,
    `${failure.message} [${failure.code}]`,
    { code: failure.code, message: failure.message },
  );
}

function json(uri: URL, value: unknown) {
  return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(value) }] };
}

/**
 * One MCP server over the hive: the tools `options` selects and the resources
 * `colibri://task/{id}` (a task with its event log) and `colibri://agent/{id}` (an agent; operator).
 * Build one per connection (stdio) or per request (HTTP): it holds nothing but `options`.
 */
export function createColibriMcpServer(options: ColibriMcpOptions): McpServer {
  const server = new McpServer(
    { name: 'colibri', title: 'colibri hive', version: options.version },
    {
      instructions:
        'colibri routes tasks to agents by capability tags. submit_task hands work to whichever agent has every ' +
        'required tag (or parks it until one appears); wait_for_task returns its result; explain_task says why a ' +
        'task waits; list_capabilities shows which tags are served; list_skills shows the skills agents offer (pass ' +
        'one as submit_task skill, with a payload matching its payloadSchema). Worker tools (claim_next, report_running, ' +
        'complete_task, fail_task, heartbeat) let an agent do the work; pass the attempt claim_next returned.',
    },
  );
  for (const tool of selectTools(options)) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: toolInputSchema(tool.input),
        outputSchema: toolOutputSchema(tool.output),
        annotations: {
          title: tool.title,
          readOnlyHint: tool.readOnly,
          destructiveHint: tool.destructive === true,
          openWorldHint: false,
        },
      },
      (args: unknown, ctx: ServerContext) => callTool(tool, options, args, ctx),
    );
  }
  server.registerResource(
    'task',
    new ResourceTemplate('colibri://task/{id}', { list: undefined }),
    {
      title: 'A colibri task',
      description: 'A task with its payload, result, event log and, while parked, why it waits.',
      mimeType: 'application/json',
    },
    async (uri, variables) => {
      try {
        return json(uri, await options.hive.showTask(String(variables.id)));
      } catch (error) {
        throw resourceError(error, uri.href);
      }
    },
  );
  server.registerResource(
    'agent',
    new ResourceTemplate('colibri://agent/{id}', { list: undefined }),
    {
      title: 'A colibri agent',
      description: 'An agent: its tags, status, tenant and load. Operator token only.',
      mimeType: 'application/json',
    },
    async (uri, variables) => {
      try {
        const id = String(variables.id);
        const { agents } = await options.hive.listAgents({ includeRetired: true });
        const agent = agents.find((a) => a.id === id);
        if (agent === undefined) {
          throw new ColibriError('COLIBRI_AGENT_NOT_FOUND', `agent ${id} does not exist`, { agentId: id });
        }
        return json(uri, { agent });
      } catch (error) {
        throw resourceError(error, uri.href);
      }
    },
  );
  return server;
}
