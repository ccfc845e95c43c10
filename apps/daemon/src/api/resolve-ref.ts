import { ColibriError } from '@colibri/errors';
import { isFullId, looksLikeIdPrefix, MIN_ID_PREFIX, shortId } from '@colibri/protocol';
import type { Principal } from '../auth/authenticator.js';
import { visibleTasks } from './access.js';
import { type App, type Handler, withParams } from './app.js';

/** Candidates an ambiguous prefix lists (one more is read, to say there are more). */
const SHOWN_CANDIDATES = 10;

function tooShort(kind: 'task' | 'agent', ref: string): ColibriError {
  return new ColibriError(
    'COLIBRI_ID_PREFIX_TOO_SHORT',
    `${kind} id prefix "${ref}" is too short: give at least ${MIN_ID_PREFIX} characters of the id` +
      (kind === 'agent' ? ' (or the agent name)' : ''),
    { kind, prefix: ref, minLength: MIN_ID_PREFIX },
  );
}

function ambiguous(
  kind: 'task' | 'agent',
  ref: string,
  ids: readonly string[],
  describe: (id: string) => string,
) {
  const shown = ids.slice(0, SHOWN_CANDIDATES);
  const more = ids.length > SHOWN_CANDIDATES ? `, and more` : '';
  return new ColibriError(
    'COLIBRI_AMBIGUOUS_ID',
    `${kind} id prefix "${ref}" matches several ${kind}s: ${shown.map(describe).join(', ')}${more}; give more characters`,
    { kind, prefix: ref, candidates: shown },
  );
}

function notFound(kind: 'task' | 'agent', ref: string): ColibriError {
  return kind === 'task'
    ? new ColibriError('COLIBRI_TASK_NOT_FOUND', `no task id starts with "${ref}"`, { taskId: ref })
    : new ColibriError(
        'COLIBRI_AGENT_NOT_FOUND',
        `no agent is named "${ref}" and no agent id starts with it`,
        {
          agentId: ref,
        },
      );
}

/**
 * The task id `ref` stands for: a whole id as given, else a unique prefix of at least
 * {@link MIN_ID_PREFIX} characters among the tasks `principal` may read (so an ambiguity never
 * names another tenant's task). Shorter: `COLIBRI_ID_PREFIX_TOO_SHORT`; several:
 * `COLIBRI_AMBIGUOUS_ID` listing them; none: `COLIBRI_TASK_NOT_FOUND`. Anything that cannot start
 * an id is passed on unchanged (the store answers not found, as before).
 */
export async function resolveTaskRef(app: App, principal: Principal, ref: string): Promise<string> {
  if (isFullId(ref) || !looksLikeIdPrefix(ref)) return ref;
  if (ref.length < MIN_ID_PREFIX) throw tooShort('task', ref);
  const ids = await app.store.findTaskIdsByPrefix(ref, {
    ...visibleTasks(principal),
    limit: SHOWN_CANDIDATES + 1,
  });
  if (ids.length === 1) return ids[0]!;
  if (ids.length === 0) throw notFound('task', ref);
  throw ambiguous('task', ref, ids, shortId);
}

/**
 * The agent id `ref` stands for: a whole id as given; else the agent with that name; else a unique
 * id prefix of at least {@link MIN_ID_PREFIX} characters (errors as {@link resolveTaskRef}). An
 * agent's token may only act on itself, so for it `ref` resolves only to itself (its name or a
 * prefix of its id) and is otherwise passed on unchanged, to be refused as before: nothing about
 * other agents is revealed.
 */
export async function resolveAgentRef(app: App, principal: Principal, ref: string): Promise<string> {
  if (isFullId(ref)) return ref;
  if (principal.kind === 'agent') {
    const self = app.dispatcher.agent(principal.agentId) ?? (await app.store.getAgent(principal.agentId));
    const matchesSelf =
      ref === self.name || (ref.length >= MIN_ID_PREFIX && looksLikeIdPrefix(ref) && self.id.startsWith(ref));
    return matchesSelf ? self.id : ref;
  }
  const named = await app.store.findAgentByName(ref);
  if (named !== undefined) return named.id;
  if (!looksLikeIdPrefix(ref)) throw notFound('agent', ref);
  if (ref.length < MIN_ID_PREFIX) throw tooShort('agent', ref);
  const ids = await app.store.findAgentIdsByPrefix(ref, { limit: SHOWN_CANDIDATES + 1 });
  if (ids.length === 1) return ids[0]!;
  if (ids.length === 0) throw notFound('agent', ref);
  const names = new Map<string, string>();
  for (const id of ids) names.set(id, app.dispatcher.agent(id)?.name ?? '?');
  throw ambiguous('agent', ref, ids, (id) => `${shortId(id)} (${names.get(id)})`);
}

/** `handler` with its `:id` parameter resolved from a task reference first (see {@link resolveTaskRef}). */
export function withTaskRef(handler: Handler): Handler {
  return async (app, request) => {
    const id = await resolveTaskRef(app, request.principal, request.params.id!);
    return handler(app, withParams(request, Object.freeze({ ...request.params, id })));
  };
}

/** `handler` with its `:id` parameter resolved from an agent reference first (see {@link resolveAgentRef}). */
export function withAgentRef(handler: Handler): Handler {
  return async (app, request) => {
    const id = await resolveAgentRef(app, request.principal, request.params.id!);
    return handler(app, withParams(request, Object.freeze({ ...request.params, id })));
  };
}
