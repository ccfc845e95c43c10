export {
  ALL_TOOLS,
  type ColibriMcpOptions,
  createColibriMcpServer,
  selectTools,
} from './create-mcp-server.js';
export type { ToolContext, ToolDefinition } from './define-tool.js';
export type { HivePort } from './hive-port.js';
export { toolError } from './tool-error.js';
export { MAX_WAIT_SECONDS } from './tools/intake-tools.js';
export { MAX_CLAIM_WAIT_SECONDS } from './tools/worker-tools.js';
export { DEFAULT_TOOLSETS, parseToolsets, TOOLSETS, type Toolset } from './toolsets.js';
