import { API_ROUTES, type ApiRoute as TableRoute } from '@colibri/api';
import { describe, expect, it } from 'vitest';
import type { Route } from './router.js';
import { routesFromTable } from './routes-from-table.js';

const table: TableRoute[] = [
  { id: 'a', method: 'GET', path: '/v1/a', summary: 'a', access: 'operator', who: 'operator', status: 200 },
  {
    id: 'b',
    method: 'POST',
    path: '/v1/b/:id',
    summary: 'b',
    access: 'operator-or-agent',
    who: 'x',
    status: 201,
  },
];
const handler = (name: string) => () => name;
const implemented: Route<() => string>[] = [
  { method: 'POST', pattern: '/v1/b/:id', audience: ['agent', 'operator'], handler: handler('b') },
  { method: 'GET', pattern: '/v1/a', audience: ['operator'], handler: handler('a') },
];

describe('routesFromTable', () => {
  it('serves the table, in its order, with its audiences and the matching handlers', () => {
    const routes = routesFromTable(table, implemented);
    expect(routes.map((r) => [r.method, r.pattern, r.audience, r.handler()])).toEqual([
      ['GET', '/v1/a', ['operator'], 'a'],
      ['POST', '/v1/b/:id', ['operator', 'agent'], 'b'],
    ]);
  });

  it('refuses a table route without a handler, a handler without a route, and an audience that differs', () => {
    expect(() => routesFromTable(table, implemented.slice(0, 1))).toThrow(/GET \/v1\/a has no handler/);
    expect(() =>
      routesFromTable(table, [
        ...implemented,
        { method: 'PUT', pattern: '/v1/c', audience: ['operator'], handler: handler('c') },
      ]),
    ).toThrow(/without a route in the route table: PUT \/v1\/c/);
    expect(() =>
      routesFromTable(table, [{ ...implemented[0]!, audience: ['operator'] }, implemented[1]!]),
    ).toThrow(/is for operator-or-agent, its handler for operator/);
  });

  it('the real table has an entry per route and a route per entry', () => {
    const ids = API_ROUTES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(API_ROUTES.map((r) => `${r.method} ${r.path}`)).size).toBe(ids.length);
  });
});
