import type { IncomingMessage, ServerResponse } from 'node:http';
import { ColibriError, isColibriError } from '@colibri/errors';
import type { ApiRoute, App, Handler } from '../api/app.js';
import { httpStatusOf } from '../http/http-status.js';
import { ApiReader } from './api-reader.js';
import { type BoardAsset, loadBoardAssets } from './board-assets.js';
import type { BoardChanges } from './board-changes.js';
import { BoardData, type Viewer } from './board-data.js';
import { type BoardSession, BoardSessions } from './board-sessions.js';
import type { SafeHtml } from './html.js';
import { readFormBody } from './read-form-body.js';
import { agentView } from './views/agent-view.js';
import { loginPage, messagePage, type PageContext, page, REFRESH_CHOICES } from './views/layout.js';
import { overviewView } from './views/overview-view.js';
import { searchView } from './views/search-view.js';
import { cancellable, confirmCancelView, confirmRetryView, retryable, taskView } from './views/task-view.js';

/** The session cookie: HttpOnly (no script reads it), SameSite=Strict (no other site sends it). */
const COOKIE = 'colibri_board';

/**
 * No inline script or style, nothing from another origin, no framing, forms only to the board.
 * htmx runs with eval off (see the htmx-config meta tag), so `script-src 'self'` is all it needs.
 */
export const BOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': BOARD_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
};

const PAGES = new Set(['login', 'logout', 'settings', 'search', 'events']);

/** The route pattern of a board path (for logs and metrics: ids never become labels). */
function boardPattern(parts: readonly string[]): string {
  if (parts.length === 0) return '/board';
  if (parts.length === 1 && PAGES.has(parts[0]!)) return `/board/${parts[0]}`;
  if (parts[0] === 'assets' && parts.length === 2) return '/board/assets/:name';
  if ((parts[0] === 'tasks' || parts[0] === 'agents') && parts.length === 2) return `/board/${parts[0]}/:id`;
  if (parts[0] === 'tasks' && parts.length === 3 && parts[2] === 'cancel') return '/board/tasks/:id/cancel';
  if (parts[0] === 'tasks' && parts.length === 3 && parts[2] === 'retry') return '/board/tasks/:id/retry';
  return '-';
}

/** True for the paths the board serves (`/board` and below). */
export function isBoardPath(pathname: string): boolean {
  return pathname === '/board' || pathname.startsWith('/board/');
}

/** What the request log records for a board request: the route pattern, the status, who. */
export interface BoardOutcome {
  readonly route: string;
  readonly status: number;
  readonly viewer: Viewer | undefined;
}

/** The board inside colibrid. */
export interface Board {
  /** Serves one request under `/board`. `signal` aborts when the client goes or colibrid stops. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL, signal: AbortSignal): Promise<BoardOutcome>;
  /** `POST /v1/board/login-codes`: what `colibri board` calls (with its token) to sign a browser in. */
  readonly apiRoutes: readonly ApiRoute[];
}

/** What the board is built from. */
export interface BoardDeps {
  readonly app: App;
  /** The API's route table: the board reads through these handlers as its viewer. */
  readonly routes: readonly ApiRoute[];
  /** Told of every change; each open board's event stream listens. */
  readonly changes: BoardChanges;
  /** Injected for tests. */
  readonly sessions?: BoardSessions;
  /** Keep-alive comment interval of the event stream. Default 20 s. */
  readonly keepAliveMs?: number;
}

class Reply {
  constructor(
    readonly status: number,
    readonly body: SafeHtml | string | Buffer,
    readonly headers: Readonly<Record<string, string | string[]>> = {},
  ) {}
}

const redirect = (location: string, headers: Record<string, string | string[]> = {}) =>
  new Reply(303, '', { location, ...headers });

function cookieOf(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === COOKIE) return rest.join('=');
  }
  return undefined;
}

/**
 * A POST from another site is refused even before the CSRF token is looked at: the browser says
 * where a request comes from (`Sec-Fetch-Site`, `Origin`), and it must be this very origin.
 */
function checkSameOrigin(req: IncomingMessage): void {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw new ColibriError('COLIBRI_FORBIDDEN', 'the board accepts forms only from its own pages');
  }
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== 'null') {
    let host: string | undefined;
    try {
      host = new URL(origin).host;
    } catch {
      host = undefined;
    }
    if (host === undefined || host !== req.headers.host) {
      throw new ColibriError('COLIBRI_FORBIDDEN', 'the board accepts forms only from its own pages');
    }
  }
}

/**
 * Builds the board: server-rendered pages under `/board` (every string escaped by the `html`
 * template), htmx and its SSE extension served from colibrid itself, a strict CSP, sessions in
 * an HttpOnly SameSite=Strict cookie, CSRF tokens on every POST, and a server-sent event stream
 * that tells open boards when tasks or agents changed.
 */
export function createBoard(deps: BoardDeps): Board {
  const { app, changes } = deps;
  const sessions = deps.sessions ?? new BoardSessions({ clock: app.clock });
  const data = new BoardData(app, new ApiReader(app, deps.routes));
  const assets: ReadonlyMap<string, BoardAsset> = loadBoardAssets();
  const keepAliveMs = deps.keepAliveMs ?? 20_000;

  const cookieHeader = (id: string) =>
    `${COOKIE}=${id}; Path=/board; HttpOnly; SameSite=Strict; Max-Age=${sessions.maxAgeSeconds}`;
  const clearCookie = `${COOKIE}=; Path=/board; HttpOnly; SameSite=Strict; Max-Age=0`;

  /** The session's viewer as of now: an agent retired since login (its token is dead) ends it. */
  async function current(
    req: IncomingMessage,
  ): Promise<{ id: string; session: BoardSession; context: PageContext } | undefined> {
    const id = cookieOf(req);
    const session = sessions.find(id);
    if (id === undefined || session === undefined) return undefined;
    const { viewer } = session;
    let label = 'the operator';
    if (viewer.kind === 'agent') {
      const agent = await app.store.getAgent(viewer.agentId).catch((error: unknown) => {
        if (isColibriError(error, 'COLIBRI_AGENT_NOT_FOUND')) return undefined;
        throw error;
      });
      if (agent === undefined || agent.retiredAt !== null) {
        sessions.close(id);
        return undefined;
      }
      label = `agent ${agent.name} (${agent.tenant === null ? 'shared lanes' : `tenant ${agent.tenant}`})`;
    }
    return {
      id,
      session,
      context: { viewerLabel: label, csrf: session.csrf, refreshSeconds: session.refreshSeconds },
    };
  }

  function signIn(viewer: Viewer): Reply {
    const { id } = sessions.open(viewer);
    app.logger.info(
      { viewer: viewer.kind, ...(viewer.kind === 'agent' ? { agentId: viewer.agentId } : {}) },
      'board sign-in',
    );
    return redirect('/board', { 'set-cookie': cookieHeader(id) });
  }

  async function login(req: IncomingMessage, url: URL): Promise<Reply> {
    if (req.method === 'POST') {
      checkSameOrigin(req);
      const form = await readFormBody(req);
      const token = (form.token ?? '').trim();
      let principal: Awaited<ReturnType<typeof app.authenticator.resolve>> | undefined;
      try {
        principal = await app.authenticator.resolve(app.authenticator.bearer(`Bearer ${token}`));
      } catch (error) {
        if (!isColibriError(error, 'COLIBRI_UNAUTHENTICATED')) throw error;
      }
      if (principal === undefined || principal.kind === 'unknown') {
        return new Reply(
          401,
          loginPage('That is neither the operator token nor an agent token (a join token signs in nothing).'),
        );
      }
      return signIn(principal);
    }
    const code = url.searchParams.get('code');
    if (code !== null) {
      const viewer = sessions.redeemCode(code);
      if (viewer === undefined) {
        return new Reply(
          401,
          loginPage('This sign-in link was used already or has expired: run colibri board again.'),
        );
      }
      // The code is spent; the redirect leaves a URL with no secret in it.
      return signIn(viewer);
    }
    if ((await current(req)) !== undefined) return redirect('/board');
    return new Reply(200, loginPage(null));
  }

  function errorReply(error: ColibriError, context: PageContext | null): Reply {
    const status = httpStatusOf(error.code);
    const title =
      status === 404 ? 'Not found' : status === 403 ? 'Not yours to see' : status < 500 ? 'Refused' : 'Error';
    return new Reply(status, messagePage(context, title, error.message));
  }

  const live = (req: IncomingMessage) => req.headers['hx-request'] === 'true';

  /** A signed-in page, or only its live part for htmx's refresh. */
  function view(req: IncomingMessage, context: PageContext, title: string, content: SafeHtml, url: URL) {
    if (live(req)) return new Reply(200, content);
    return new Reply(200, page(context, title, content, url.pathname + url.search));
  }

  async function events(req: IncomingMessage, res: ServerResponse, id: string, signal: AbortSignal) {
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n: colibri board events\n\n');
    let n = 0;
    await new Promise<void>((resolve) => {
      const end = () => {
        unsubscribe();
        clearInterval(keepAlive);
        signal.removeEventListener('abort', end);
        resolve();
      };
      const unsubscribe = changes.subscribe(() => {
        // A signed-out or expired session gets no more pushes.
        if (sessions.find(id) === undefined) {
          res.end();
          end();
          return;
        }
        res.write(`event: changed\ndata: ${++n}\n\n`);
      });
      const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), keepAliveMs);
      signal.addEventListener('abort', end, { once: true });
      req.once('close', end);
    });
    if (!res.writableEnded) res.end();
  }

  async function route(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    signal: AbortSignal,
    outcome: { route: string; viewer: Viewer | undefined },
  ): Promise<Reply | 'streamed'> {
    const method = req.method ?? 'GET';
    const path = url.pathname === '/board/' ? '/board' : url.pathname;
    const parts = path.split('/').slice(2); // after "/board"
    outcome.route = boardPattern(parts);
    const allow = (...methods: string[]) => {
      if (!methods.includes(method)) {
        throw new ColibriError('COLIBRI_METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}`, {
          allow: methods,
        });
      }
    };

    if (parts[0] === 'assets' && parts.length === 2) {
      allow('GET', 'HEAD');
      const asset = assets.get(parts[1]!);
      if (asset === undefined)
        throw new ColibriError('COLIBRI_ROUTE_NOT_FOUND', `no board asset ${parts[1]}`);
      if (req.headers['if-none-match'] === asset.etag) return new Reply(304, '', { etag: asset.etag });
      return new Reply(200, asset.body, {
        'content-type': asset.contentType,
        etag: asset.etag,
        'cache-control': 'no-cache',
      });
    }
    if (path === '/board/login') {
      allow('GET', 'POST');
      return login(req, url);
    }

    const signedIn = await current(req);
    if (signedIn === undefined) {
      // No session, no data: the sign-in page (htmx is told to go there instead of swapping it in).
      if (req.method === 'POST') req.resume();
      if (parts[0] === 'events') return new Reply(401, 'sign in first', { 'content-type': 'text/plain' });
      return new Reply(401, loginPage(null), live(req) ? { 'hx-redirect': '/board/login' } : {});
    }
    const { id, session, context } = signedIn;
    const viewer = session.viewer;
    outcome.viewer = viewer;
    const now = app.clock();
    const post = async () => {
      checkSameOrigin(req);
      const form = await readFormBody(req);
      if (!sessions.checkCsrf(session, form.csrf)) {
        throw new ColibriError(
          'COLIBRI_FORBIDDEN',
          'the form is stale or not from this board (CSRF token mismatch): reload the page and try again',
        );
      }
      return form;
    };

    try {
      if (path === '/board') {
        allow('GET');
        return view(req, context, 'hive', overviewView(await data.overview(viewer), now), url);
      }
      if (path === '/board/events') {
        allow('GET');
        await events(req, res, id, signal);
        return 'streamed';
      }
      if (path === '/board/logout') {
        allow('POST');
        await post();
        sessions.close(id);
        return redirect('/board/login', { 'set-cookie': clearCookie });
      }
      if (path === '/board/settings') {
        allow('POST');
        const form = await post();
        const refresh = Number(form.refresh);
        if (!REFRESH_CHOICES.includes(refresh)) {
          throw new ColibriError(
            'COLIBRI_INVALID_INPUT',
            `refresh must be one of ${REFRESH_CHOICES.join(', ')} (seconds)`,
            { field: 'refresh' },
          );
        }
        session.refreshSeconds = refresh;
        return redirect('/board');
      }
      if (path === '/board/search') {
        allow('GET');
        const q = (url.searchParams.get('q') ?? '').slice(0, 200);
        const result = await data.search(viewer, q);
        if (result.exact !== undefined) {
          return redirect(`/board/${result.exact.kind}s/${encodeURIComponent(result.exact.id)}`);
        }
        return new Reply(200, page(context, `search ${q}`, searchView(result, now), null, q));
      }
      if (parts[0] === 'tasks' && parts.length === 2) {
        allow('GET');
        const task = await data.task(viewer, decodeURIComponent(parts[1]!));
        const actions = {
          csrf: session.csrf,
          cancel: viewer.kind === 'operator',
          payload: viewer.kind === 'operator',
        };
        return view(req, context, task.task.title, taskView(task, actions, now), url);
      }
      if (parts[0] === 'tasks' && parts.length === 3 && parts[2] === 'cancel') {
        allow('POST');
        const form = await post();
        const taskId = decodeURIComponent(parts[1]!);
        const task = await data.task(viewer, taskId);
        if (form.confirm !== 'yes') {
          if (!cancellable(task.task.status)) {
            throw new ColibriError(
              'COLIBRI_ILLEGAL_TRANSITION',
              `task ${taskId} is ${task.task.status} already`,
            );
          }
          return new Reply(200, page(context, 'cancel?', confirmCancelView(task, session.csrf), null));
        }
        await api.call(viewer, 'POST', `/v1/tasks/${encodeURIComponent(taskId)}/transition`, {
          body: { to: 'cancelled', reason: 'cancelled on the board' },
        });
        return redirect(`/board/tasks/${encodeURIComponent(taskId)}`);
      }
      if (parts[0] === 'tasks' && parts.length === 3 && parts[2] === 'retry') {
        allow('POST');
        const form = await post();
        const taskId = decodeURIComponent(parts[1]!);
        const task = await data.task(viewer, taskId);
        if (form.confirm !== 'yes') {
          if (!retryable(task.task.status)) {
            throw new ColibriError(
              'COLIBRI_ILLEGAL_TRANSITION',
              `task ${taskId} is ${task.task.status}: only a failed, cancelled or expired task can be retried`,
            );
          }
          return new Reply(200, page(context, 'retry?', confirmRetryView(task, session.csrf), null));
        }
        // The API's own handler, as the signed-in token: an agent's session is refused there (403).
        await api.call(viewer, 'POST', `/v1/tasks/${encodeURIComponent(taskId)}/retry`, {
          body: { reason: 'retried on the board' },
        });
        return redirect(`/board/tasks/${encodeURIComponent(taskId)}`);
      }
      if (parts[0] === 'agents' && parts.length === 2) {
        allow('GET');
        const agent = await data.agent(viewer, decodeURIComponent(parts[1]!));
        return view(req, context, agent.agent.name, agentView(agent, now), url);
      }
      throw new ColibriError('COLIBRI_ROUTE_NOT_FOUND', `the board has no page ${path.slice(0, 200)}`);
    } catch (error) {
      if (isColibriError(error)) return errorReply(error, context);
      throw error;
    }
  }

  const api = new ApiReader(app, deps.routes);

  const issueLoginCode: Handler = async (_app, { principal }) => {
    if (principal.kind === 'unknown') throw new ColibriError('COLIBRI_UNAUTHENTICATED', 'sign in first');
    const { code, expiresAt } = sessions.issueCode(principal);
    return {
      status: 201,
      body: { code, path: `/board/login?code=${code}`, expiresAt: expiresAt.toISOString() },
    };
  };

  return {
    apiRoutes: [
      {
        method: 'POST',
        pattern: '/v1/board/login-codes',
        audience: ['operator', 'agent'],
        handler: issueLoginCode,
      },
    ],

    async handle(req, res, url, signal) {
      const outcome: { route: string; viewer: Viewer | undefined } = { route: '/board', viewer: undefined };
      let reply: Reply | 'streamed';
      try {
        reply = await route(req, res, url, signal, outcome);
      } catch (error) {
        if (!isColibriError(error)) {
          app.logger.error({ err: error, route: outcome.route }, 'board request failed unexpectedly');
        }
        const failure = isColibriError(error)
          ? error
          : new ColibriError('COLIBRI_INTERNAL', "internal error in colibrid (see the daemon's log)");
        reply = errorReply(failure, null);
        if (failure.code === 'COLIBRI_METHOD_NOT_ALLOWED') {
          reply = new Reply(reply.status, reply.body, {
            allow: ((failure.details.allow as string[] | undefined) ?? []).join(', '),
          });
        }
      }
      if (reply === 'streamed') return { ...outcome, status: 200 };
      // The browser went away (mid-form, or while the page was read): nobody to answer.
      if (res.destroyed || res.headersSent) return { ...outcome, status: reply.status };
      const body = reply.body instanceof Buffer ? reply.body : Buffer.from(String(reply.body), 'utf8');
      const empty = reply.status === 304 || reply.status === 303;
      // A body we did not read would be parsed as the next request on this connection: close it.
      const declaresBody =
        (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') ||
        req.headers['transfer-encoding'] !== undefined;
      if (declaresBody && !req.readableEnded) res.setHeader('connection', 'close');
      res.writeHead(reply.status, {
        ...SECURITY_HEADERS,
        'cache-control': 'no-store',
        vary: 'HX-Request, Cookie',
        ...(reply.body instanceof Buffer || empty ? {} : { 'content-type': 'text/html; charset=utf-8' }),
        ...reply.headers,
        ...(reply.status === 304 ? {} : { 'content-length': String(body.length) }),
      });
      res.end(req.method === 'HEAD' || empty ? undefined : body);
      return { ...outcome, status: reply.status };
    },
  };
}
