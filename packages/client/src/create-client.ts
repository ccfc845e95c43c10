import http from 'node:http';
import type { ErrorEnvelope } from '@colibri/api';
import { ColibriError, ERROR_CODES, type ErrorCode } from '@colibri/errors';
import type { ClientOptions, ColibriClient } from './colibri-client.js';

const DEFAULT_TIMEOUT_MS = 30_000;
/** A spawn runs the whole join chain (preflight … wait until registered) inside one request. */
const DEFAULT_SPAWN_TIMEOUT_MS = 180_000;
const DEFAULT_DESTROY_TIMEOUT_MS = 120_000;
/** Connection errors that mean "nobody is answering there", as opposed to a daemon that said no. */
const UNREACHABLE_CODES = new Set([
  'ENOENT',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EACCES',
  'ENOTSOCK',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
]);

/** What a request goes out through: node:http's or node:https's `request` and the client's agent. */
interface Transport {
  readonly request: typeof http.request;
  readonly agent: http.Agent;
}

/**
 * Each client keeps its connections open between requests (keep-alive): an agent's poll → running
 * → done cycle reuses one connection instead of a new one per request. An idle connection is
 * dropped a second before the server's advertised `Keep-Alive: timeout` (Node's agent honours the
 * hint; colibrid advertises 5 s), so a request is not sent on a connection the server is closing.
 * Idle connections do not keep a process alive (Node unrefs them).
 */
function plainTransport(): Transport {
  return { request: http.request, agent: new http.Agent({ keepAlive: true }) };
}

/**
 * node:https (with node:tls and node:crypto, ~7 ms of a CLI's start) is loaded only by a client
 * whose url is https://, at its first request: the Unix socket and plain TCP never need it.
 */
function secureTransport(): () => Promise<Transport> {
  let loaded: Promise<Transport> | undefined;
  return () => {
    loaded ??= import('node:https').then(({ default: https }) => ({
      request: https.request,
      agent: new https.Agent({ keepAlive: true }),
    }));
    return loaded;
  };
}

/**
 * No TLS, so no server name: given none, node:http's agent derives one from the host ('localhost'
 * for a socket) with net.isIP, whose first call compiles the IPv6 pattern (~5 ms of a CLI's start).
 * (`servername` is a TLS option, so http.RequestOptions does not declare it.)
 */
const NO_SERVER_NAME: http.RequestOptions = { servername: '' } as http.RequestOptions;

interface Target {
  readonly describe: string;
  readonly transport: () => Transport | Promise<Transport>;
  readonly base: http.RequestOptions;
  readonly pathPrefix: string;
}

function resolveTarget(options: ClientOptions): Target {
  const invalid = (why: string): never => {
    throw new ColibriError('COLIBRI_INVALID_INPUT', `colibri client: ${why}`, { field: 'options' });
  };
  const { socketPath, url } = options;
  if ((socketPath === undefined) === (url === undefined)) {
    return invalid('give exactly one of socketPath (the Unix socket) and url (TCP)');
  }
  if (socketPath !== undefined) {
    if (typeof socketPath !== 'string' || socketPath === '') return invalid('socketPath must be a path');
    const plain = plainTransport();
    return {
      describe: `unix socket ${socketPath}`,
      transport: () => plain,
      base: { socketPath, ...NO_SERVER_NAME },
      pathPrefix: '',
    };
  }
  let parsed: URL;
  try {
    parsed = new URL(url as string);
  } catch {
    return invalid(`url ${JSON.stringify(url)} is not a URL; use e.g. http://100.64.0.1:9190`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return invalid(`url must be http:// or https://, got ${parsed.protocol}`);
  }
  if (parsed.username !== '' || parsed.password !== '') {
    return invalid('url must not carry credentials; pass the token with the token option');
  }
  const secure = parsed.protocol === 'https:';
  const plain = secure ? undefined : plainTransport();
  return {
    describe: parsed.origin + parsed.pathname.replace(/\/+$/, ''),
    transport: plain === undefined ? secureTransport() : () => plain,
    base: {
      hostname: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: parsed.port === '' ? (secure ? 443 : 80) : Number(parsed.port),
      // TLS checks the certificate against the server name: only plain http skips deriving it.
      ...(secure ? {} : NO_SERVER_NAME),
    },
    pathPrefix: parsed.pathname.replace(/\/+$/, ''),
  };
}

function knownCode(code: unknown): ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code)
    ? (code as ErrorCode)
    : 'COLIBRI_INTERNAL';
}

function query(params: Record<string, string | number | boolean | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, String(value));
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

const id = (value: string) => encodeURIComponent(value);

interface Call {
  readonly method: 'GET' | 'POST' | 'PUT';
  readonly path: string;
  readonly body?: unknown;
  /** Added to the client's timeout (a long poll's wait). */
  readonly extraTimeoutMs?: number;
  /** Replaces the client's timeout for this call (a spawn's whole chain). */
  readonly timeoutMs?: number;
  /** `text` returns the body as a string (metrics), `json` parses it. */
  readonly as?: 'json' | 'text';
  /** Abandons the request (e.g. an agent stopping during a long poll): rejects with the signal's reason. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * A {@link ColibriClient} over node:http: the Unix socket (`socketPath`) or TCP (`url`), the token
 * as `Authorization: Bearer …`, JSON in and out. Errors are `ColibriError`s: the daemon's own code
 * from its error envelope (an unknown code becomes `COLIBRI_INTERNAL`), or
 * `COLIBRI_DAEMON_UNREACHABLE` naming the socket or URL when nothing answers in time.
 */
export function createClient(options: ClientOptions): ColibriClient {
  const target = resolveTarget(options);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const token = options.token;

  function call<T>(request: Call): Promise<T> {
    const transport = target.transport();
    return transport instanceof Promise
      ? transport.then((loaded) => send<T>(loaded, request))
      : send<T>(transport, request);
  }

  function send<T>(transport: Transport, request: Call): Promise<T> {
    const payload = request.body === undefined ? undefined : Buffer.from(JSON.stringify(request.body));
    const headers: http.OutgoingHttpHeaders = { accept: 'application/json' };
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = payload.length;
    }
    const limit = (request.timeoutMs ?? timeoutMs) + (request.extraTimeoutMs ?? 0);
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        fn();
      };
      const req = transport.request(
        {
          ...target.base,
          agent: transport.agent,
          method: request.method,
          path: target.pathPrefix + request.path,
          headers,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', (error) => finish(() => reject(unreachable(error))));
          res.on('end', () =>
            finish(() => {
              try {
                resolve(interpret<T>(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), request));
              } catch (error) {
                reject(error);
              }
            }),
          );
        },
      );
      const timer = setTimeout(() => {
        finish(() =>
          reject(
            new ColibriError(
              'COLIBRI_DAEMON_UNREACHABLE',
              `colibrid at ${target.describe} did not answer within ${Math.round(limit / 1000)} s: is colibrid running?`,
              { target: target.describe, timeoutMs: limit },
            ),
          ),
        );
        req.destroy();
      }, limit);
      req.on('error', (error) => finish(() => reject(unreachable(error))));
      const { signal } = request;
      if (signal !== undefined) {
        const abort = () => {
          finish(() => reject(signal.reason));
          req.destroy();
        };
        if (signal.aborted) abort();
        else {
          signal.addEventListener('abort', abort, { once: true });
          req.once('close', () => signal.removeEventListener('abort', abort));
        }
      }
      req.end(payload);
    });
  }

  function unreachable(error: Error & { code?: string }): ColibriError {
    const code = error.code;
    const hint =
      code === 'EACCES'
        ? 'permission denied: is your user in the group of the socket?'
        : 'is colibrid running?';
    return new ColibriError(
      'COLIBRI_DAEMON_UNREACHABLE',
      `cannot reach colibrid at ${target.describe} (${code ?? error.message}): ${hint}`,
      { target: target.describe, errno: code !== undefined && UNREACHABLE_CODES.has(code) ? code : null },
      { cause: error },
    );
  }

  function interpret<T>(status: number, text: string, request: Call): T {
    if (status >= 200 && status < 300) {
      if (request.as === 'text') return text as T;
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new ColibriError(
          'COLIBRI_INTERNAL',
          `colibrid at ${target.describe} answered ${request.method} ${request.path} with a body that is not JSON`,
          { status },
        );
      }
    }
    let envelope: Partial<ErrorEnvelope> | undefined;
    try {
      envelope = JSON.parse(text) as Partial<ErrorEnvelope>;
    } catch {
      envelope = undefined;
    }
    const error = envelope?.error;
    if (error === undefined || typeof error !== 'object' || error === null) {
      throw new ColibriError(
        'COLIBRI_INTERNAL',
        `${target.describe} answered ${request.method} ${request.path} with HTTP ${status} and no colibri error (is this colibrid?)`,
        { status },
      );
    }
    throw new ColibriError(
      knownCode(error.code),
      typeof error.message === 'string' ? error.message : `HTTP ${status}`,
      { ...(typeof error.details === 'object' && error.details !== null ? error.details : {}), status },
    );
  }

  return {
    status: () => call({ method: 'GET', path: '/v1/status' }),
    registerAgent: (request) => call({ method: 'POST', path: '/v1/agents', body: request }),
    listAgents: (filter = {}) =>
      call({
        method: 'GET',
        path: `/v1/agents${query({
          status: filter.status,
          tenant: filter.tenant,
          includeRetired: filter.includeRetired === true ? true : undefined,
        })}`,
      }),
    retireAgent: (agentId, request) =>
      call({ method: 'POST', path: `/v1/agents/${id(agentId)}/retire`, body: request }),
    revokeJoinToken: (token) => call({ method: 'POST', path: '/v1/join-tokens/revoke', body: { token } }),
    spawnAgent: (request, spawnOptions = {}) =>
      call({
        method: 'POST',
        path: '/v1/spawn',
        body: request,
        timeoutMs: spawnOptions.timeoutMs ?? DEFAULT_SPAWN_TIMEOUT_MS,
      }),
    destroyAgent: (name, destroyOptions = {}) =>
      call({
        method: 'POST',
        path: '/v1/spawn/destroy',
        body: { name, ...(destroyOptions.tenant === undefined ? {} : { tenant: destroyOptions.tenant }) },
        timeoutMs: destroyOptions.timeoutMs ?? DEFAULT_DESTROY_TIMEOUT_MS,
      }),
    heartbeat: (agentId, heartbeatOptions = {}) =>
      call({
        method: 'POST',
        path: `/v1/agents/${id(agentId)}/heartbeat`,
        ...(heartbeatOptions.holding === undefined ? {} : { body: { holding: heartbeatOptions.holding } }),
      }),
    updateCapabilities: (agentId, capabilities, skills) =>
      call({
        method: 'PUT',
        path: `/v1/agents/${id(agentId)}/capabilities`,
        body: { capabilities, ...(skills ?? {}) },
      }),
    listSkills: () => call({ method: 'GET', path: '/v1/skills' }),
    poll: (agentId, pollOptions = {}) =>
      call({
        method: 'POST',
        path: `/v1/agents/${id(agentId)}/poll${query({ wait: pollOptions.waitSeconds })}`,
        extraTimeoutMs: (pollOptions.waitSeconds ?? 0) * 1000,
        signal: pollOptions.signal,
        ...(pollOptions.holding === undefined && pollOptions.claim === undefined
          ? {}
          : {
              body: {
                ...(pollOptions.holding === undefined ? {} : { holding: pollOptions.holding }),
                ...(pollOptions.claim === undefined ? {} : { claim: pollOptions.claim }),
              },
            }),
      }),
    goOffline: (agentId, request = {}) =>
      call({ method: 'POST', path: `/v1/agents/${id(agentId)}/offline`, body: request }),
    intakeTask: (request) => call({ method: 'POST', path: '/v1/tasks', body: request }),
    listTasks: (filter = {}) =>
      call({
        method: 'GET',
        path: `/v1/tasks${query({ status: filter.status, tenant: filter.tenant, limit: filter.limit })}`,
      }),
    showTask: (taskId) => call({ method: 'GET', path: `/v1/tasks/${id(taskId)}` }),
    transitionTask: (taskId, request) =>
      call({ method: 'POST', path: `/v1/tasks/${id(taskId)}/transition`, body: request }),
    retryTask: (taskId, request = {}) =>
      call({ method: 'POST', path: `/v1/tasks/${id(taskId)}/retry`, body: request }),
    prune: (request) => call({ method: 'POST', path: '/v1/prune', body: request }),
    createJoinToken: (request) => call({ method: 'POST', path: '/v1/join-tokens', body: request }),
    registerTenant: (request) => call({ method: 'POST', path: '/v1/tenants', body: request }),
    listTenants: (filter = {}) =>
      call({ method: 'GET', path: `/v1/tenants${query({ status: filter.status })}` }),
    getTenant: (tenant) => call({ method: 'GET', path: `/v1/tenants/${id(tenant)}` }),
    recordProvision: (tenant, request) =>
      call({ method: 'POST', path: `/v1/tenants/${id(tenant)}/provision`, body: request }),
    resetTenantCollection: (tenant) =>
      call({ method: 'POST', path: `/v1/tenants/${id(tenant)}/reset-collection` }),
    setTenantStatus: (tenant, request) =>
      call({ method: 'POST', path: `/v1/tenants/${id(tenant)}/status`, body: request }),
    createBoardLoginCode: () => call({ method: 'POST', path: '/v1/board/login-codes' }),
    metrics: () => call({ method: 'GET', path: '/metrics', as: 'text' }),
  };
}
