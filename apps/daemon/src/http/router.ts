import { ColibriError } from '@colibri/errors';

/**
 * Who may call a route. `join` = a caller presenting a token that may be a one-time join token;
 * `anyone` = no token at all (only `/healthz`).
 */
export type Audience = 'operator' | 'agent' | 'join' | 'anyone';

/** One route: a method, a path pattern with `:param` segments, who may call it, and its handler. */
export interface Route<H> {
  readonly method: 'GET' | 'POST' | 'PUT';
  /** E.g. `/v1/agents/:id/heartbeat`. */
  readonly pattern: string;
  readonly audience: readonly Audience[];
  readonly handler: H;
}

/** A matched route and the values of its `:param` segments. */
export interface RouteMatch<H> {
  readonly route: Route<H>;
  readonly params: Readonly<Record<string, string>>;
}

/** A pattern's segments, split once per route (a request's path is matched against every route). */
const compiled = new WeakMap<object, readonly string[]>();

function segmentsOf(route: Route<unknown>): readonly string[] {
  let segments = compiled.get(route);
  if (segments === undefined) {
    segments = route.pattern.split('/');
    compiled.set(route, segments);
  }
  return segments;
}

function matchPattern(want: readonly string[], got: readonly string[]): Record<string, string> | undefined {
  if (want.length !== got.length) return undefined;
  // Literal segments first: most routes fail there, before any parameter is decoded.
  for (let i = 0; i < want.length; i++) {
    const segment = want[i]!;
    if (segment.charCodeAt(0) !== 58 /* : */ && segment !== got[i]) return undefined;
  }
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const segment = want[i]!;
    if (segment.charCodeAt(0) !== 58) continue;
    const value = got[i]!;
    if (value === '') return undefined;
    try {
      params[segment.slice(1)] = decodeURIComponent(value);
    } catch {
      return undefined;
    }
  }
  return params;
}

/**
 * Finds the route for `method path`: `COLIBRI_ROUTE_NOT_FOUND` when no pattern matches,
 * `COLIBRI_METHOD_NOT_ALLOWED` (naming the allowed methods) when one matches another method.
 */
export function matchRoute<H>(routes: readonly Route<H>[], method: string, path: string): RouteMatch<H> {
  const allowed: string[] = [];
  const got = path.split('/');
  for (const route of routes) {
    const params = matchPattern(segmentsOf(route), got);
    if (params === undefined) continue;
    if (route.method === method) return { route, params: Object.freeze(params) };
    allowed.push(route.method);
  }
  if (allowed.length > 0) {
    throw new ColibriError(
      'COLIBRI_METHOD_NOT_ALLOWED',
      `${method} is not allowed on ${path}; use ${allowed.join(' or ')}`,
      { allow: allowed },
    );
  }
  throw new ColibriError(
    'COLIBRI_ROUTE_NOT_FOUND',
    `no route ${method} ${path.slice(0, 200)}; the API lives under /v1 (see the colibrid README)`,
    {},
  );
}
