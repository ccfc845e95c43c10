import { chmodSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { API_ROUTES } from '@colibri/api';
import { ColibriError, isColibriError } from '@colibri/errors';
import { DEFAULT_SPAWN_POLICY, type SpawnPolicy } from '@colibri/spawn-policy';
import type { ChangeSubscription, Store } from '@colibri/store';
import { agentRoutes } from '../api/agent-routes.js';
import type { AbortWatch, ApiRoute, App, PublicRoute, Reply, RequestContext } from '../api/app.js';
import { authorizeRoute } from '../api/authorize-route.js';
import { hiveRoutes, publicRoutes } from '../api/hive-routes.js';
import { retentionRoutes } from '../api/retention-routes.js';
import { skillRoutes } from '../api/skill-routes.js';
import { spawnRoutes } from '../api/spawn-routes.js';
import { taskRoutes } from '../api/task-routes.js';
import { tenantRoutes } from '../api/tenant-routes.js';
import { Authenticator, type Principal, unknownToken } from '../auth/authenticator.js';
import { BoardChanges } from '../board/board-changes.js';
import { createBoard, isBoardPath } from '../board/board-server.js';
import { notifyingStore } from '../board/notifying-store.js';
import type { ListenAddress } from '../config/parse-listen-address.js';
import { DEFAULT_TASK_DEFAULTS, type TaskDefaults, type Timing } from '../config/resolve-config.js';
import { ChangeFollower } from '../dispatch/change-follower.js';
import { Dispatcher } from '../dispatch/dispatcher.js';
import { LastSeen } from '../dispatch/last-seen.js';
import { Sweeper } from '../dispatch/sweeper.js';
import { isClientAbort } from '../http/client-aborted.js';
import { httpStatusOf } from '../http/http-status.js';
import { MAX_BODY_BYTES, readJsonBody } from '../http/read-json-body.js';
import { splitTarget } from '../http/request-target.js';
import { matchRoute } from '../http/router.js';
import { routesFromTable } from '../http/routes-from-table.js';
import type { Logger } from '../logger.js';
import type { McpEndpoint } from '../mcp/mcp-endpoint.js';
import { MCP_PATH } from '../mcp/mcp-path.js';
import { DaemonMetrics } from '../metrics/daemon-metrics.js';
import type { SpawnService } from '../spawn/spawn-service.js';
import { clearStaleSocket } from './unix-socket.js';

/** Everything the server is built from; main resolves it once and passes it in. */
export interface ServerDeps {
  /** An open store; the caller closes it after `close()`. */
  readonly store: Store;
  readonly logger: Logger;
  /** The operator's bearer token (only its hash is kept). */
  readonly operatorToken: string;
  readonly version: string;
  readonly timing: Timing;
  /** What a task's intake gets when it does not say. Default: no retries, 10 s first backoff. */
  readonly taskDefaults?: TaskDefaults;
  /** Injected for tests; default the system clock. */
  readonly clock?: () => Date;
  /** Request bodies above this are refused with 413. */
  readonly maxBodyBytes?: number;
  /** How long `close()` lets in-flight requests finish before cutting connections. Default 10 s. */
  readonly closeTimeoutMs?: number;
  /** Spawns jailed agents; absent = this colibrid has no spawner (the spawn routes say how to get one). */
  readonly spawner?: SpawnService;
  /** What mother agents may spawn. Default {@link DEFAULT_SPAWN_POLICY}: nothing. */
  readonly spawnPolicy?: SpawnPolicy;
  /**
   * Host names `/mcp` accepts in the Host and Origin headers besides localhost and the TCP listen
   * address (e.g. the tailnet address a socat bridge forwards from). DNS-rebinding protection.
   */
  readonly mcpAllowedHosts?: readonly string[];
  /** A task taken in without its own expiry expires if still parked this long (`--expire-after`); absent = never. */
  readonly expireAfterMs?: number | undefined;
  /** Finished tasks older than this are pruned (`--retain`); absent = kept forever. */
  readonly retainMs?: number | undefined;
}

/** Where to serve. */
export interface ListenOptions {
  /** The Unix socket (mode 0660); a stale one is removed first. */
  readonly socketPath: string;
  /** Also serve TCP on exactly this address. */
  readonly tcp?: ListenAddress | undefined;
}

/** A running colibrid: `listen` once, `close` once. */
export interface ColibriServer {
  /**
   * Follows the store's change feed, loads the fleet, dispatches what is parked, starts the
   * sweeps and serves.
   */
  listen(options: ListenOptions): Promise<{ socketPath: string; tcp?: ListenAddress }>;
  /**
   * Stops gracefully: stops accepting, ends long polls, lets in-flight requests finish (cutting
   * them after `closeTimeoutMs`), stops the sweeps. The store stays open for the caller to close.
   */
  close(): Promise<void>;
}

/** The API's handlers (the board adds its login-code route per server). */
const ROUTES: readonly ApiRoute[] = [
  ...hiveRoutes,
  ...agentRoutes,
  ...taskRoutes,
  ...tenantRoutes,
  ...spawnRoutes,
  ...skillRoutes,
  ...retentionRoutes,
];
const PUBLIC_ROUTES: readonly PublicRoute[] = routesFromTable(
  API_ROUTES.filter((route) => route.access === 'public'),
  publicRoutes,
);

function envelope(error: ColibriError) {
  return { error: { code: error.code, message: error.message, details: error.details } };
}

function listenError(error: Error & { code?: string }, where: string): ColibriError {
  if (error.code === 'EADDRINUSE') {
    return new ColibriError(
      'COLIBRI_DAEMON_ALREADY_RUNNING',
      `cannot listen on ${where}: something already listens there`,
      { where },
      { cause: error },
    );
  }
  return new ColibriError(
    'COLIBRI_INVALID_INPUT',
    `cannot listen on ${where}: ${error.code ?? error.message}${error.code === 'EADDRNOTAVAIL' ? ' (that address is not on this host)' : ''}`,
    { where },
    { cause: error },
  );
}

/**
 * One request's abort: when its client goes away before the answer, or colibrid stops. The
 * `AbortController` is made only when a handler asks for the signal (most requests never do); a
 * waiting poll listens here directly (one listener slot, no controller, no event).
 */
class RequestAbort implements AbortWatch {
  #controller: AbortController | undefined = undefined;
  #aborted = false;
  #listener: { handleEvent(): void } | undefined = undefined;

  get aborted(): boolean {
    return this.#aborted;
  }

  addEventListener(_type: 'abort', listener: { handleEvent(): void }): void {
    if (this.#listener !== undefined && this.#listener !== listener) {
      // A second listener: an AbortSignal carries any number of them.
      const signal = this.signal;
      signal.addEventListener('abort', listener);
      return;
    }
    this.#listener = listener;
  }

  removeEventListener(_type: 'abort', listener: { handleEvent(): void }): void {
    if (this.#listener === listener) this.#listener = undefined;
    else this.#controller?.signal.removeEventListener('abort', listener);
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort();
    }
    return this.#controller.signal;
  }

  abort(): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#controller?.abort();
    const listener = this.#listener;
    this.#listener = undefined;
    listener?.handleEvent();
  }
}

/** A request as a handler sees it; the query and the signal are made when first read. */
class HttpRequestContext implements RequestContext {
  readonly principal: Principal;
  readonly params: Readonly<Record<string, string>>;
  readonly body: unknown;
  readonly #search: string;
  readonly #abort: RequestAbort;

  constructor(
    principal: Principal,
    params: Readonly<Record<string, string>>,
    search: string,
    body: unknown,
    abort: RequestAbort,
  ) {
    this.principal = principal;
    this.params = params;
    this.#search = search;
    this.body = body;
    this.#abort = abort;
  }

  get query(): URLSearchParams {
    return new URLSearchParams(this.#search);
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  get abortWatch(): AbortWatch {
    return this.#abort;
  }
}

/**
 * colibrid's HTTP/JSON API on a Unix socket (and optionally one TCP address), with the scheduler,
 * the liveness sweep and leases behind it. Touches no `process` state: `main.ts` does that.
 */
export function createServer(deps: ServerDeps): ColibriServer {
  const clock = deps.clock ?? (() => new Date());
  const maxBodyBytes = deps.maxBodyBytes ?? MAX_BODY_BYTES;
  const metrics = new DaemonMetrics(deps.version);
  // Every write this daemon commits tells the open boards (SQLite has no change feed to do it).
  const boardChanges = new BoardChanges();
  const store = notifyingStore(deps.store, (kind) => boardChanges.notify(kind));
  const dispatcher = new Dispatcher({
    store,
    logger: deps.logger,
    clock,
    leaseMs: deps.timing.leaseMs,
    assignLatency: metrics.assignLatency,
    deliverLatency: metrics.deliverLatency,
  });
  const lastSeen = new LastSeen({ store, clock, timing: deps.timing, logger: deps.logger });
  const app: App = {
    store,
    dispatcher,
    lastSeen,
    authenticator: new Authenticator(store, deps.operatorToken),
    logger: deps.logger,
    clock,
    timing: deps.timing,
    taskDefaults: deps.taskDefaults ?? DEFAULT_TASK_DEFAULTS,
    version: deps.version,
    startedAt: clock().getTime(),
    metrics,
    spawner: deps.spawner,
    spawnPolicy: deps.spawnPolicy ?? DEFAULT_SPAWN_POLICY,
    spawnsInFlight: new Map(),
    expireAfterMs: deps.expireAfterMs,
  };
  /** The TCP listen address, once listening: clients reaching it send it as their Host. */
  const tcpHosts: string[] = [];
  // Loaded on the first `/mcp` request: the MCP SDK and its schemas cost ~15 MiB of RSS that a
  // colibrid nobody reaches over MCP need not carry.
  let mcpEndpoint: Promise<McpEndpoint> | undefined;
  const mcp = (): Promise<McpEndpoint> => {
    mcpEndpoint ??= import('../mcp/mcp-endpoint.js')
      .then(({ createMcpEndpoint }) =>
        createMcpEndpoint({
          app,
          routes: ROUTES,
          maxBodyBytes,
          allowedHosts: () => [...(deps.mcpAllowedHosts ?? []), ...tcpHosts],
        }),
      )
      .catch((error: unknown) => {
        // Not remembered: the next `/mcp` request tries again, and close() has nothing to close.
        mcpEndpoint = undefined;
        throw error;
      });
    return mcpEndpoint;
  };
  const sweeper = new Sweeper({
    store,
    dispatcher,
    lastSeen,
    logger: deps.logger,
    clock,
    timing: deps.timing,
    metrics,
    retainMs: deps.retainMs,
  });
  const board = createBoard({ app, routes: ROUTES, changes: boardChanges });
  // Registered from the wire contract's route table: a route missing on either side fails here.
  const routes: readonly ApiRoute[] = routesFromTable(
    API_ROUTES.filter((route) => route.access !== 'public'),
    [...ROUTES, ...board.apiRoutes],
  );
  // Other daemons on the same PostgreSQL act on the store too: their changes reach this one here.
  const follower = new ChangeFollower(dispatcher, deps.logger);
  let changes: ChangeSubscription | undefined;
  /** One per request in flight: aborted when its client goes away or when the daemon stops. */
  const aborts = new Set<RequestAbort>();
  /** Requests in flight, and what `close()` waits on to see them all answered. */
  let inflight = 0;
  let drained: (() => void) | undefined;
  const servers: http.Server[] = [];

  function send(req: IncomingMessage, res: ServerResponse, reply: Reply): void {
    if (res.headersSent || res.destroyed) return;
    // A body we did not read would be parsed as the next request on this connection: close it.
    const declaresBody =
      (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') ||
      req.headers['transfer-encoding'] !== undefined;
    if (declaresBody && !req.readableEnded) res.setHeader('connection', 'close');
    res.setHeader('cache-control', 'no-store');
    if ('text' in reply) {
      res.writeHead(reply.status, { 'content-type': reply.contentType });
      res.end(reply.text);
    } else {
      res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(reply.body));
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const abort = new RequestAbort();
    aborts.add(abort);
    // Only an answer that did not finish is an abort (its client went away, or the daemon stops):
    // aborting after every request built a DOMException each time. `on`, not `once`: 'close' comes
    // once anyway, and `once` wraps every listener in a bound function and a state object.
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    let principal: Principal | undefined;
    let pattern = '-';
    let status = 500;
    let code: string | undefined;
    let clientAborted = false;
    try {
      // Only the path and the query are kept while the request runs (a long poll waits up to a
      // minute): not the parsed URL, which the query of `url.searchParams` would keep alive.
      const { pathname, search } = splitTarget(req.url ?? '/');
      if (PUBLIC_ROUTES.some((r) => r.pattern === pathname)) {
        const { route } = matchRoute(PUBLIC_ROUTES, req.method ?? '', pathname);
        pattern = route.pattern;
        // No token is read, no body parsed: the answer depends on nothing the caller sent.
        req.resume();
        const reply = await route.handler(app);
        status = reply.status;
        send(req, res, reply);
        return;
      }
      if (isBoardPath(pathname)) {
        // The board signs in with a session cookie, not a bearer token, and answers in HTML.
        const outcome = await board.handle(req, res, new URL(req.url ?? '/', 'http://colibri'), abort.signal);
        pattern = outcome.route;
        status = outcome.status;
        principal = outcome.viewer;
        return;
      }
      const token = app.authenticator.bearer(req.headers.authorization);
      if (pathname === MCP_PATH) {
        pattern = MCP_PATH;
        principal = await app.authenticator.resolve(token);
        if (principal.kind === 'unknown') throw unknownToken();
        const query = new URLSearchParams(search);
        status = await (await mcp()).serve(req, res, { principal, query, signal: abort.signal });
        return;
      }
      const { route, params } = matchRoute(routes, req.method ?? '', pathname);
      pattern = route.pattern;
      principal = await app.authenticator.resolve(token);
      authorizeRoute(route, principal);
      const body = await readJsonBody(req, maxBodyBytes);
      const reply = await route.handler(app, new HttpRequestContext(principal, params, search, body, abort));
      status = reply.status;
      send(req, res, reply);
    } catch (error) {
      if (!isColibriError(error) && isClientAbort(error, req)) {
        // Nobody is left to answer: not a server error, so no 500 and no error line.
        clientAborted = true;
        return;
      }
      let failure: ColibriError;
      if (isColibriError(error)) {
        failure = error;
      } else {
        deps.logger.error({ err: error, method: req.method, route: pattern }, 'request failed unexpectedly');
        failure = new ColibriError('COLIBRI_INTERNAL', "internal error in colibrid (see the daemon's log)");
      }
      status = httpStatusOf(failure.code);
      code = failure.code;
      if (failure.code === 'COLIBRI_METHOD_NOT_ALLOWED') {
        res.setHeader('allow', ((failure.details.allow as string[] | undefined) ?? []).join(', '));
      }
      send(req, res, { status, body: envelope(failure) });
    } finally {
      aborts.delete(abort);
      if (--inflight === 0) drained?.();
      // An answer that never reached its client (it hung up mid-body, or while a long poll waited).
      if (!res.writableEnded && res.destroyed) clientAborted = true;
      // Only the method, route pattern and ids: never headers, tokens, bodies or query values.
      const line = {
        method: req.method,
        route: pattern,
        ...(clientAborted ? { outcome: 'client went away' } : { status }),
        ...(code !== undefined ? { code } : {}),
        ms: Math.round((performance.now() - started) * 10) / 10,
        caller: principal?.kind ?? 'none',
        ...(principal?.kind === 'agent' ? { agentId: principal.agentId } : {}),
      };
      if (clientAborted) {
        app.metrics.clientAbort(req.method ?? '-', pattern);
        deps.logger.info(line, 'request aborted by the client');
      } else {
        app.metrics.request(req.method ?? '-', pattern, status);
        if (status >= 500) deps.logger.error(line, 'request');
        else if (status >= 400) deps.logger.info(line, 'request refused');
        else deps.logger.debug(line, 'request');
      }
    }
  }

  function handleFailed(error: unknown): void {
    deps.logger.error({ err: error }, 'request handling failed unexpectedly');
  }

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    // Counted, not kept: a Set of promises with a `finally` each cost a promise, a closure and
    // their reactions per request (10,000 of them with every agent's long poll open).
    inflight++;
    handle(req, res).catch(handleFailed);
  }

  function serve(listen: (server: http.Server) => void, where: string): Promise<http.Server> {
    const server = http.createServer(
      { requestTimeout: 120_000, headersTimeout: 30_000, keepAliveTimeout: 5_000 },
      onRequest,
    );
    // Requests Node's parser rejects (bad framing, bad method, oversized headers) get an envelope too.
    server.on('clientError', (error: Error & { code?: string }, socket) => {
      if (!socket.writable || error.code === 'ECONNRESET') {
        socket.destroy();
        return;
      }
      const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
      const body = JSON.stringify(
        envelope(
          new ColibriError(
            tooLarge ? 'COLIBRI_PAYLOAD_TOO_LARGE' : 'COLIBRI_INVALID_INPUT',
            tooLarge
              ? 'request headers are too large'
              : `malformed HTTP request (${error.code ?? 'parse error'})`,
          ),
        ),
      );
      socket.end(
        `HTTP/1.1 ${tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\nconnection: close\r\n` +
          `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    });
    return new Promise((resolve, reject) => {
      server.once('error', (error) => reject(listenError(error, where)));
      server.once('listening', () => {
        server.removeAllListeners('error');
        server.on('error', (error) => deps.logger.error({ err: error, where }, 'server error'));
        servers.push(server);
        resolve(server);
      });
      listen(server);
    });
  }

  let state: 'new' | 'listening' | 'closed' = 'new';

  return {
    async listen(options) {
      if (state !== 'new') throw new ColibriError('COLIBRI_INTERNAL', 'listen() may be called once');
      state = 'listening';
      const { socketPath, tcp } = options;
      if ((await clearStaleSocket(socketPath)) === 'removed') {
        deps.logger.warn(
          { socketPath },
          'removed a stale socket left by a colibrid that did not stop cleanly',
        );
      }
      // Subscribed before loading: a change committed during the load is delivered, not lost.
      changes = await deps.store.watchChanges(
        (change) => {
          // An agent retired by another daemon must be refused here too: its cached token is
          // dropped when it goes offline (the store no longer finds it), or on a resync.
          if (change.kind === 'agent' && change.status === 'offline') {
            app.authenticator.forgetAgent(change.agentId);
          }
          if (change.kind === 'resync') app.authenticator.forgetAll();
          follower.handle(change);
          boardChanges.notify('hive');
        },
        {
          // This daemon acts on its own writes as it makes them (as on SQLite, which has no feed):
          // only other writers' changes come through here.
          ignoreOwnCommits: true,
          onError: (error) =>
            deps.logger.warn({ err: error }, 'change feed trouble (the safety sweep still runs)'),
        },
      );
      // Heartbeats this daemon kept in memory before a restart or kill -9 are gone: every agent
      // gets a fresh TTL from now instead of being declared offline for it.
      lastSeen.start();
      await dispatcher.load();
      const assigned = await dispatcher.sweep();
      if (assigned > 0) deps.logger.info({ assigned }, 'assigned tasks parked while colibrid was down');
      await serve((server) => server.listen(socketPath), `unix socket ${socketPath}`);
      chmodSync(socketPath, 0o660);
      if (tcp !== undefined) {
        tcpHosts.push(tcp.host.includes(':') ? `[${tcp.host}]` : tcp.host);
        await serve((server) => server.listen(tcp.port, tcp.host), `${tcp.host}:${tcp.port}`);
      }
      sweeper.start();
      deps.logger.info(
        {
          socketPath,
          ...(tcp !== undefined ? { tcp: `${tcp.host}:${tcp.port}` } : {}),
          driver: deps.store.driver,
          changeFeed: changes.live ? 'live' : 'none (one daemon per SQLite file)',
          version: deps.version,
          timing: deps.timing,
          expireAfter: deps.expireAfterMs === undefined ? 'off' : deps.expireAfterMs / 1000,
          retain: deps.retainMs === undefined ? 'off' : deps.retainMs / 1000,
        },
        'colibrid listening',
      );
      return tcp === undefined ? { socketPath } : { socketPath, tcp };
    },

    async close() {
      if (state === 'closed') return;
      state = 'closed';
      const closed = servers.map((server) => new Promise((resolve) => server.close(resolve)));
      dispatcher.waiters.wakeAll();
      for (const abort of aborts) abort.abort();
      // An endpoint that failed to load was never serving: nothing to close, and no reason to fail the stop.
      if (mcpEndpoint !== undefined)
        await mcpEndpoint.then(
          (endpoint) => endpoint.close(),
          () => {},
        );
      await changes?.close();
      boardChanges.close();
      await follower.close();
      await sweeper.stop();
      dispatcher.stop();
      for (const server of servers) server.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), deps.closeTimeoutMs ?? 10_000);
      });
      if (inflight > 0) {
        const allAnswered = new Promise<'drained'>((resolve) => {
          drained = () => resolve('drained');
        });
        if ((await Promise.race([allAnswered, deadline])) === 'timeout') {
          deps.logger.warn({ inflight }, 'cutting requests that did not finish in time');
          for (const server of servers) server.closeAllConnections();
        }
      }
      clearTimeout(timer);
      for (const server of servers) server.closeIdleConnections();
      await Promise.all(closed);
      deps.logger.info('colibrid stopped serving');
    },
  };
}
