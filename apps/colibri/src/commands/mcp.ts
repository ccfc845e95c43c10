import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../base-command.js';

export default class Mcp extends BaseCommand<typeof Mcp> {
  static override summary = 'Serve the hive to an LLM agent as MCP tools over stdio.';
  static override description =
    'A Model Context Protocol server on stdin/stdout for MCP clients (agents, IDEs): submit tasks to ' +
    'whichever lane can run them and wait for the result, see why something waits, and, as a worker, ' +
    'claim and complete tasks. It is a client of colibrid (the socket, or --url/COLIBRI_URL) and presents ' +
    'the same token as every command (--token, COLIBRI_TOKEN, else the operator token file): the tools ' +
    'can do exactly what that token may do through the API. Serves 2025-era (initialize) and 2026-era ' +
    'clients. Logs go to stderr; stdout is the protocol, so there is no --json. Runs until the client ' +
    'closes stdin. colibrid serves the same tools at POST /mcp.';
  static override examples = [
    '<%= config.bin %> mcp',
    'COLIBRI_TOKEN=$AGENT_TOKEN <%= config.bin %> mcp --toolsets intake,observe,worker --agent 0b6e0d3c-…',
    '<%= config.bin %> mcp --toolsets all --read-only',
  ];
  static override enableJsonFlag = false;
  static override flags = {
    toolsets: Flags.string({
      description:
        'tool groups, comma-separated: intake (submit_task, wait_for_task, get_task, list_tasks, cancel_task), ' +
        'observe (list_agents, list_capabilities, list_skills, explain_task, get_status), worker (claim_next, report_running, ' +
        'complete_task, fail_task, heartbeat), admin (spawn_agent, join_token), or all',
      default: 'intake,observe',
      helpValue: 'LIST',
    }),
    'read-only': Flags.boolean({
      description: 'offer only the tools that change nothing (wait, get, list, explain, status)',
      default: false,
    }),
    agent: Flags.string({
      description:
        'the agent this token belongs to: the default agent_id of the worker tools (claim_next, heartbeat)',
      env: 'COLIBRI_AGENT_ID',
      helpValue: 'ID',
    }),
  };

  async run(): Promise<void> {
    const [{ createColibriMcpServer, parseToolsets }, { serveStdio }, { describeTarget }] = await Promise.all(
      [import('@colibri/mcp'), import('@modelcontextprotocol/server/stdio'), import('../describe-config.js')],
    );
    const toolsets = parseToolsets(this.flags.toolsets);
    const { isColibriError } = await import('@colibri/errors');
    const client = await this.client();
    // Each refusal reads exactly as this CLI prints it (which daemon, which token source, hints).
    const hive = new Proxy(client, {
      get: (target, name, receiver) => {
        const value = Reflect.get(target, name, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) =>
          (value as (...a: unknown[]) => Promise<unknown>).apply(target, args).catch((error: unknown) => {
            throw isColibriError(error) ? this.describeError(error) : error;
          });
      },
    });
    const config = await this.cliConfig();
    const options = {
      hive,
      toolsets,
      readOnly: this.flags['read-only'],
      agentId: this.flags.agent,
      version: this.config.version,
    };
    const closed = new Promise<void>((resolve) => {
      process.stdin.once('close', resolve);
      process.stdin.once('end', resolve);
    });
    const handle = serveStdio(() => createColibriMcpServer(options), {
      onerror: (error) => process.stderr.write(`colibri mcp: ${error.message}\n`),
    });
    process.stderr.write(
      `colibri mcp: serving ${toolsets.join(',')}${options.readOnly ? ' (read-only)' : ''} on stdio for colibrid at ${describeTarget(config.target)}\n`,
    );
    await closed;
    await handle.close();
  }
}
