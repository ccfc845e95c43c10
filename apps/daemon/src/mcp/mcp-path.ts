/** Where colibrid serves MCP (streamable HTTP, both protocol eras). Its own module: the server routes on it without loading the MCP SDK. */
export const MCP_PATH = '/mcp';
