// Part 2: an LLM agent's MCP client (scripts/demo-mcp.mjs) starts `colibri mcp` on stdio and hands
// the media lane a task while the lanes run.
import { mcpDemo } from '../demo-mcp.mjs';
import { colibriBin, say, step } from './hive.mjs';

export const name = 'mcp';

export async function run(hive) {
  step("an LLM agent's MCP client starts `colibri mcp` and hands the media lane a task");
  if (!(await mcpDemo({ colibriBin, home: hive.home, say, laneOf: hive.laneOf }))) hive.failed = true;
}
