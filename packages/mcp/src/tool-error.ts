import { ColibriError, isColibriError } from '@colibri/errors';
import type { CallToolResult } from '@modelcontextprotocol/server';

/**
 * The error a tool answers with: `isError` with the daemon's (or the tool's own) stable code and
 * message — exactly what `colibri` prints as `colibri: <message> [<code>]` — as text for the model
 * and as `structuredContent.error` for programs. Transport details (the HTTP status the client adds)
 * are dropped, so `colibri mcp` and colibrid's `/mcp` answer the same. Anything that is not a
 * `ColibriError` is a bug: `COLIBRI_INTERNAL`, without its message (it may hold anything).
 */
export function toolError(error: unknown, tool: string): CallToolResult {
  const failure = isColibriError(error)
    ? error
    : new ColibriError('COLIBRI_INTERNAL', `internal error in the MCP tool ${tool}`, {});
  const { status: _status, ...details } = failure.details as Record<string, unknown>;
  return {
    isError: true,
    content: [{ type: 'text', text: `${failure.message} [${failure.code}]` }],
    structuredContent: { error: { code: failure.code, message: failure.message, details } },
  };
}
