import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { ColibriError } from '@colibri/errors';
import { createColibriMcpServer, DEFAULT_TOOLSETS, parseToolsets, type Toolset } from '@colibri/mcp';
import {
  createMcpHandler,
  localhostAllowedHostnames,
  localhostAllowedOrigins,
  validateHostHeader,
  validateOriginHeader,
} from '@modelcontextprotocol/server';
import type { ApiRoute, App } from '../api/app.js';
import type { Principal } from '../auth/authenticator.js';
import { createInProcessHive } from './in-process-hive.js';
import { MCP_PATH } from './mcp-path.js';

export { MCP_PATH } from './mcp-path.js';

/** One `/mcp` request as the factory sees it (through the SDK's pass-through `authInfo`). */
interface McpSession {
  readonly principal: Exclude<Principal, { kind: 'unknown' }>;
  readonly toolsets: readonly Toolset[];
  readonly readOnly: boolean;
  readonly signal: AbortSignal;
}

export interface McpEndpointDeps {
  readonly app: App;
  readonly routes: readonly ApiRoute[];
  /** The SDK reads the body itself: the API's limit applies (413 above it). */
  readonly maxBodyBytes: number;
  /** Host names accepted besides localhost (the TCP listen address, `--mcp-allowed-hosts`). */
  readonly allowedHosts: () => readonly string[];
}

export interface McpEndpoint {
  /** Serves one authenticated request; resolves with the HTTP status sent. Throws a `ColibriError` before answering anything. */
  serve(
    req: IncomingMessage,
    res: ServerResponse,
    request: { principal: Principal; query: URLSearchParams; signal: AbortSignal },
  ): Promise<number>;
  /** Ends the requests in flight (colibrid is stopping). */
  close(): Promise<void>;
}

function queryOptions(query: URLSearchParams): { toolsets: readonly Toolset[]; readOnly: boolean } {
  let toolsets = DEFAULT_TOOLSETS;
  let readOnly = false;
  const seen = new Set<string>();
  for (const [key, value] of query) {
    if (seen.has(key)) {
      throw new ColibriError('COLIBRI_INVALID_INPUT', `query: ${key} is given twice; give it once`, {
        field: key,
      });
    }
    seen.add(key);
    if (key === 'toolsets') toolsets = parseToolsets(value, 'query: toolsets');
    else if (key === 'read_only') {
      if (value !== 'true' && value !== 'false') {
        throw new ColibriError('COLIBRI_INVALID_INPUT', 'query: read_only: must be true or false', {
          field: key,
        });
      }
      readOnly = value === 'true';
    } else {
      throw new ColibriError(
        'COLIBRI_INVALID_INPUT',
        `query: ${key}: unknown parameter; /mcp takes toolsets (intake,observe,worker,admin) and read_only`,
        { field: key },
      );
    }
  }
  return { toolsets, readOnly };
}

/** The Node request as a web-standard `Request`, its body streamed, aborted with `signal`. */
function toWebRequest(req: IncomingMessage, signal: AbortSignal): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === 'string') headers.set(name, value);
    else if (Array.isArray(value)) for (const item of value) headers.append(name, item);
  }
  const method = req.method ?? 'GET';
  const hasBody = method !== 'GET' && method !== 'HEAD';
  return new Request(`http://localhost${req.url ?? MCP_PATH}`, {
    method,
    headers,
    signal,
    ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: 'half' } : {}),
  } as RequestInit);
}

/** Writes a web `Response` to Node's `res`, streaming (SSE) chunk by chunk. */
async function sendWebResponse(response: Response, res: ServerResponse): Promise<void> {
  res.statusCode = response.status;
  response.headers.forEach((value, name) => {
    res.setHeader(name, value);
  });
  res.setHeader('cache-control', 'no-store');
  if (response.body === null) {
    res.end();
    return;
  }
  res.flushHeaders();
  const reader = response.body.getReader();
  const stop = () => void reader.cancel().catch(() => undefined);
  res.once('close', stop);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || res.destroyed) break;
      res.write(value);
    }
  } catch {
    // The client went away or the exchange was aborted: nothing left to send.
  } finally {
    res.off('close', stop);
    res.end();
  }
}

/**
 * colibrid's `POST /mcp`: the MCP tools of `@colibri/mcp` over streamable HTTP (the SDK's
 * `createMcpHandler`, which serves 2026-era and, statelessly, 2025-era `initialize` clients from one
 * factory). The caller is authenticated like every API request (bearer token, the same
 * principals); the Host and Origin headers must name localhost or an allowed host (DNS rebinding);
 * `?toolsets=` and `?read_only=` pick the tools. Each tool call runs the API's own routes as that
 * principal ({@link createInProcessHive}).
 */
export function createMcpEndpoint(deps: McpEndpointDeps): McpEndpoint {
  const { app } = deps;
  const handler = createMcpHandler(
    ({ authInfo }) => {
      const session = authInfo?.extra?.session as McpSession;
      return createColibriMcpServer({
        hive: createInProcessHive(app, deps.routes, session.principal, session.signal),
        toolsets: session.toolsets,
        readOnly: session.readOnly,
        agentId: session.principal.kind === 'agent' ? session.principal.agentId : undefined,
        version: app.version,
      });
    },
    {
      maxRequestBodySize: deps.maxBodyBytes,
      // Requests the SDK refused (malformed JSON-RPC …): the client got the answer; no bodies here.
      // A JSON parse error quotes the body it failed on: log only that the JSON was bad.
      onerror: (error) =>
        app.logger.debug(
          { error: error instanceof SyntaxError ? 'invalid JSON' : error.message },
          'mcp request refused',
        ),
    },
  );

  return {
    async serve(req, res, { principal, query, signal }) {
      if (principal.kind === 'unknown') throw new ColibriError('COLIBRI_UNAUTHENTICATED', 'unknown token');
      const hosts = [...deps.allowedHosts()];
      const host = validateHostHeader(req.headers.host, [...localhostAllowedHostnames(), ...hosts]);
      if (!host.ok) {
        throw new ColibriError(
          'COLIBRI_FORBIDDEN',
          `/mcp refuses Host ${JSON.stringify(req.headers.host ?? '')} (DNS-rebinding protection): colibrid accepts localhost, its --listen address and --mcp-allowed-hosts`,
          { header: 'host' },
        );
      }
      const origin = validateOriginHeader(req.headers.origin, [...localhostAllowedOrigins(), ...hosts]);
      if (!origin.ok) {
        throw new ColibriError(
          'COLIBRI_FORBIDDEN',
          `/mcp refuses Origin ${JSON.stringify(req.headers.origin ?? '')}: only pages on localhost or an allowed host may call it`,
          { header: 'origin' },
        );
      }
      const session: McpSession = { principal, ...queryOptions(query), signal };
      const response = await handler.fetch(toWebRequest(req, signal), {
        authInfo: {
          token: 'redacted',
          clientId: principal.kind === 'agent' ? `agent:${principal.agentId}` : 'operator',
          scopes: [],
          extra: { session },
        },
      });
      await sendWebResponse(response, res);
      return response.status;
    },
    close: () => handler.close(),
  };
}
