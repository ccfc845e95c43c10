import { createServer } from 'node:net';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

/** A TCP port free on loopback right now (for `colibrid --listen 127.0.0.1:PORT`). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** What a tool call answers, as the tests read it. */
export type ToolResult = { isError?: boolean; structuredContent?: unknown; content?: unknown };

/**
 * A real MCP SDK client connected to colibrid's `POST /mcp` at `base` (`http://127.0.0.1:PORT`),
 * presenting `token`; `era: 'legacy'` = the 2025 `initialize` handshake, else the 2026 probe.
 */
export async function connectMcp(
  base: string,
  token: string,
  options: { query?: string; era?: 'legacy' | 'auto' } = {},
): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(`${base}/mcp${options.query ?? ''}`), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });
  const client = new Client(
    { name: 'colibri-test', version: '1.0.0' },
    options.era === 'legacy' ? {} : { versionNegotiation: { mode: 'auto' } },
  );
  await client.connect(transport);
  return client;
}
