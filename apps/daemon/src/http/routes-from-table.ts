import type { RouteAccess, ApiRoute as TableRoute } from '@colibri/api';
import type { Audience, Route } from './router.js';

const AUDIENCE: Readonly<Record<RouteAccess, readonly Audience[]>> = Object.freeze({
  public: ['anyone'],
  operator: ['operator'],
  'operator-or-agent': ['operator', 'agent'],
  'operator-or-join-token': ['operator', 'join'],
});

/**
 * The routes colibrid serves, taken from the wire contract's route table (`API_ROUTES` of
 * `@colibri/api`): method, path and audience come from the table, the handler from `handlers`
 * (matched by method and path). Throws at start-up when a table route has no handler, a handler no
 * table route, or a handler declares another audience than the table: the OpenAPI document, the
 * client and the daemon cannot drift apart.
 */
export function routesFromTable<H>(table: readonly TableRoute[], handlers: readonly Route<H>[]): Route<H>[] {
  const key = (method: string, path: string) => `${method} ${path}`;
  const byKey = new Map(handlers.map((route) => [key(route.method, route.pattern), route]));
  if (byKey.size !== handlers.length) throw new Error('two handlers for one route');
  const routes = table.map((entry) => {
    const handler = byKey.get(key(entry.method, entry.path));
    if (handler === undefined) throw new Error(`route table: ${entry.method} ${entry.path} has no handler`);
    byKey.delete(key(entry.method, entry.path));
    const audience = AUDIENCE[entry.access];
    if ([...handler.audience].sort().join() !== [...audience].sort().join()) {
      throw new Error(
        `route table: ${entry.method} ${entry.path} is for ${entry.access}, its handler for ${handler.audience.join(', ')}`,
      );
    }
    return Object.freeze({ method: entry.method, pattern: entry.path, audience, handler: handler.handler });
  });
  if (byKey.size > 0) {
    throw new Error(`handlers without a route in the route table: ${[...byKey.keys()].join('; ')}`);
  }
  return routes;
}
