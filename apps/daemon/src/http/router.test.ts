import { isColibriError } from '@colibri/errors';
import { describe, expect, it } from 'vitest';
import { matchRoute, type Route } from './router.js';

const routes: Route<string>[] = [
  { method: 'GET', pattern: '/v1/tasks', audience: ['operator'], handler: 'list' },
  { method: 'POST', pattern: '/v1/tasks', audience: ['operator'], handler: 'intake' },
  { method: 'GET', pattern: '/v1/tasks/:id', audience: ['operator'], handler: 'show' },
  { method: 'POST', pattern: '/v1/tasks/:id/transition', audience: ['operator'], handler: 'move' },
];

function failure(fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    if (isColibriError(error)) return error;
  }
  throw new Error('expected a ColibriError');
}

describe('matchRoute', () => {
  it('matches method and pattern, decoding parameters', () => {
    expect(matchRoute(routes, 'GET', '/v1/tasks/a%2Fb').route.handler).toBe('show');
    expect(matchRoute(routes, 'GET', '/v1/tasks/a%2Fb').params).toEqual({ id: 'a/b' });
    expect(matchRoute(routes, 'POST', '/v1/tasks').route.handler).toBe('intake');
  });

  it('tells a wrong method from an unknown path', () => {
    const wrongMethod = failure(() => matchRoute(routes, 'DELETE', '/v1/tasks/x'));
    expect(wrongMethod.code).toBe('COLIBRI_METHOD_NOT_ALLOWED');
    expect(wrongMethod.details.allow).toEqual(['GET']);
    expect(failure(() => matchRoute(routes, 'GET', '/v1/tasks/x/y')).code).toBe('COLIBRI_ROUTE_NOT_FOUND');
    expect(failure(() => matchRoute(routes, 'GET', '/v1/tasks/')).code).toBe('COLIBRI_ROUTE_NOT_FOUND');
    expect(failure(() => matchRoute(routes, 'GET', '/v1/tasks/%E0%A4%A')).code).toBe(
      'COLIBRI_ROUTE_NOT_FOUND',
    );
  });
});
