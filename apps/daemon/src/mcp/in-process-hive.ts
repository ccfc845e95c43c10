import type { HivePort } from '@colibri/mcp';
import type { ApiRoute, App } from '../api/app.js';
import { authorizeRoute } from '../api/authorize-route.js';
import type { Principal } from '../auth/authenticator.js';
import { matchRoute } from '../http/router.js';

interface Call {
  readonly method: 'GET' | 'POST' | 'PUT';
  readonly path: string;
  readonly query?: Record<string, string | number | boolean | undefined>;
  readonly body?: unknown;
  readonly signal?: AbortSignal | undefined;
}

const id = (value: string) => encodeURIComponent(value);

/**
 * The MCP tools' port to the hive inside colibrid: each call runs the same route, audience check
 * and handler an HTTP request would, as `principal`, so `/mcp` can do exactly what that token may
 * do through the API and nothing more. Bodies and answers pass through JSON as they would on the
 * wire. `signal` (the MCP request's, aborted when the client cancels or leaves) ends long polls.
 */
export function createInProcessHive(
  app: App,
  routes: readonly ApiRoute[],
  principal: Principal,
  signal: AbortSignal,
): HivePort {
  async function call<T>(request: Call): Promise<T> {
    const { route, params } = matchRoute(routes, request.method, request.path);
    authorizeRoute(route, principal);
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) query.set(key, String(value));
    }
    const reply = await route.handler(app, {
      principal,
      params,
      query,
      body: request.body === undefined ? undefined : JSON.parse(JSON.stringify(request.body)),
      signal: request.signal === undefined ? signal : AbortSignal.any([signal, request.signal]),
    });
    return ('text' in reply ? reply.text : JSON.parse(JSON.stringify(reply.body))) as T;
  }

  return {
    status: () => call({ method: 'GET', path: '/v1/status' }),
    intakeTask: (request) => call({ method: 'POST', path: '/v1/tasks', body: request }),
    showTask: (taskId) => call({ method: 'GET', path: `/v1/tasks/${id(taskId)}` }),
    listTasks: (filter = {}) => call({ method: 'GET', path: '/v1/tasks', query: { ...filter } }),
    transitionTask: (taskId, request) =>
      call({ method: 'POST', path: `/v1/tasks/${id(taskId)}/transition`, body: request }),
    listAgents: (filter = {}) =>
      call({
        method: 'GET',
        path: '/v1/agents',
        query: {
          status: filter.status,
          tenant: filter.tenant,
          includeRetired: filter.includeRetired === true ? true : undefined,
        },
      }),
    listSkills: () => call({ method: 'GET', path: '/v1/skills' }),
    heartbeat: (agentId) => call({ method: 'POST', path: `/v1/agents/${id(agentId)}/heartbeat` }),
    poll: (agentId, options = {}) =>
      call({
        method: 'POST',
        path: `/v1/agents/${id(agentId)}/poll`,
        query: { wait: options.waitSeconds },
        signal: options.signal,
      }),
    spawnAgent: (request) => call({ method: 'POST', path: '/v1/spawn', body: request }),
    createJoinToken: (request) => call({ method: 'POST', path: '/v1/join-tokens', body: request }),
  };
}
