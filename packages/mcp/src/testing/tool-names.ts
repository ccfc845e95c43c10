import type { Toolset } from '../toolsets.js';

/**
 * The tool names `tools/list` is expected to answer with, per toolset, in order: the one fixture
 * the MCP tests of every transport (in-memory, colibrid's `/mcp`, `colibri mcp` over stdio, the
 * inspector) compare against. Written out, not derived from the tools, so a renamed or dropped
 * tool fails them.
 */
export const EXPECTED_TOOLS: Readonly<Record<Toolset, readonly string[]>> = Object.freeze({
  intake: ['submit_task', 'wait_for_task', 'get_task', 'list_tasks', 'cancel_task'],
  observe: ['list_agents', 'list_capabilities', 'list_skills', 'explain_task', 'get_status'],
  worker: ['claim_next', 'report_running', 'complete_task', 'fail_task', 'heartbeat'],
  admin: ['spawn_agent', 'join_token'],
});

/** The tools that change nothing: what `--read-only` (`?read_only=true`) keeps. */
export const READ_ONLY_TOOLS: readonly string[] = Object.freeze([
  'wait_for_task',
  'get_task',
  'list_tasks',
  'list_agents',
  'list_capabilities',
  'list_skills',
  'explain_task',
  'get_status',
]);

/** The names listed for `toolsets` (default intake and observe), optionally only the read-only ones. */
export function expectedToolNames(
  toolsets: readonly Toolset[] = ['intake', 'observe'],
  options: { readonly readOnly?: boolean } = {},
): string[] {
  const order: readonly Toolset[] = ['intake', 'observe', 'worker', 'admin'];
  const names = order.filter((t) => toolsets.includes(t)).flatMap((t) => EXPECTED_TOOLS[t]);
  return options.readOnly === true ? names.filter((name) => READ_ONLY_TOOLS.includes(name)) : names;
}
