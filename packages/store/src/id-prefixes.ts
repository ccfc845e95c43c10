import { ColibriError } from '@colibri/errors';
import { hasNul } from '@colibri/protocol';
import { byTenant } from './list-filters.js';
import type { IdPrefixFilter } from './store.js';
import type { Db } from './store-context.js';

/** What an id prefix may hold: the alphabet of store ids (lower-case UUIDs), so no LIKE wildcard. */
const ID_PREFIX_PATTERN = /^[0-9a-f-]{1,36}$/;
/** The most ids a prefix lookup returns (enough to list the candidates of an ambiguous prefix). */
const MAX_PREFIX_MATCHES = 100;

function checkPrefix(prefix: unknown, operation: string): string {
  if (typeof prefix !== 'string' || !ID_PREFIX_PATTERN.test(prefix)) {
    throw new ColibriError(
      'COLIBRI_INVALID_INPUT',
      `${operation}: prefix must be 1 to 36 of [0-9a-f-] (the start of an id)`,
      { field: 'prefix' },
    );
  }
  return prefix;
}

const limitOf = (filter: IdPrefixFilter) =>
  Math.min(Math.max(Math.trunc(filter.limit ?? 10), 1), MAX_PREFIX_MATCHES);

/** Ids of tasks starting with `prefix`, smallest first, within `filter`'s tenant / agent. */
export async function findTaskIdsByPrefix(db: Db, prefix: string, filter: IdPrefixFilter): Promise<string[]> {
  const start = checkPrefix(prefix, 'findTaskIdsByPrefix');
  let query = db
    .selectFrom('tasks')
    .select('id')
    .where('id', 'like', `${start}%`)
    .orderBy('id')
    .limit(limitOf(filter));
  if (filter.tenant !== undefined) query = query.where(byTenant(filter.tenant));
  if (filter.assignedAgentId !== undefined) {
    if (hasNul(filter.assignedAgentId)) return [];
    query = query.where('assigned_agent_id', '=', filter.assignedAgentId);
  }
  return (await query.execute()).map((row) => row.id);
}

/** Ids of (non-retired) agents starting with `prefix`, smallest first. */
export async function findAgentIdsByPrefix(
  db: Db,
  prefix: string,
  filter: IdPrefixFilter,
): Promise<string[]> {
  const start = checkPrefix(prefix, 'findAgentIdsByPrefix');
  let query = db
    .selectFrom('agents')
    .select('id')
    .where('id', 'like', `${start}%`)
    .where('retired_at', 'is', null)
    .orderBy('id')
    .limit(limitOf(filter));
  if (filter.tenant !== undefined) query = query.where(byTenant(filter.tenant));
  return (await query.execute()).map((row) => row.id);
}
