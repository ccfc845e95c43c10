import { ColibriError } from '@colibri/errors';
import { type Principal, unknownToken } from '../auth/authenticator.js';
import type { ApiRoute } from './app.js';

/**
 * Whether `principal` may call `route` at all (its audience): a token nobody issued only where a
 * join token may register, an agent only on agent routes. What each handler checks beyond that
 * (self, tenant, attempt) it checks itself. One place for the HTTP API and for the MCP tools
 * colibrid serves in-process, so both refuse the same requests.
 */
export function authorizeRoute(route: ApiRoute, principal: Principal): void {
  if (principal.kind === 'unknown' && !route.audience.includes('join')) throw unknownToken();
  if (principal.kind === 'agent' && !route.audience.includes('agent')) {
    throw new ColibriError('COLIBRI_FORBIDDEN', `${route.method} ${route.pattern} is for the operator only`);
  }
}
