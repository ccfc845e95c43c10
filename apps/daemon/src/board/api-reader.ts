import type { ApiRoute, App } from '../api/app.js';
import { authorizeRoute } from '../api/authorize-route.js';
import type { Principal } from '../auth/authenticator.js';
import { matchRoute } from '../http/router.js';

/**
 * Calls colibrid's own API route handlers in-process, as `principal`: the board reads exactly what
 * that token may read through the API (the audience check `authorizeRoute`, then the handler's own
 * rules from `api/access.ts`), in the API's JSON shapes, and never re-implements who may see what.
 */
export class ApiReader {
  readonly #app: App;
  readonly #routes: readonly ApiRoute[];

  constructor(app: App, routes: readonly ApiRoute[]) {
    this.#app = app;
    this.#routes = routes;
  }

  /** `method path` as `principal` would call it over HTTP; resolves with the reply's JSON body. */
  async call<T>(
    principal: Principal,
    method: 'GET' | 'POST',
    path: string,
    options: { query?: Readonly<Record<string, string | undefined>>; body?: unknown } = {},
  ): Promise<T> {
    const { route, params } = matchRoute(this.#routes, method, path);
    authorizeRoute(route, principal);
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) query.set(key, value);
    }
    const reply = await route.handler(this.#app, {
      principal,
      params,
      query,
      body: options.body,
      signal: new AbortController().signal,
    });
    return ('body' in reply ? reply.body : reply.text) as T;
  }
}
