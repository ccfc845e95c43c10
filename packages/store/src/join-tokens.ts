import { ColibriError } from '@colibri/errors';
import type * as v from 'valibot';
import { fromDbTime } from './dialect/dialect-adapter.js';
import type { createJoinTokenSchema } from './input-schemas.js';
import { lockAgent, lockJoinToken } from './row-locks.js';
import { type JoinTokenRow, toJoinToken } from './row-mapping.js';
import type { JoinTokenRecord } from './store.js';
import type { Db, StoreContext, Trx } from './store-context.js';
import { agentRetired, joinTokenInvalid } from './store-errors.js';

type CreateJoinToken = v.InferOutput<typeof createJoinTokenSchema>;

/** The "already stored" refusal of `createJoinToken` (also for a unique violation in a race). */
export function joinTokenClash(): ColibriError {
  return new ColibriError('COLIBRI_INVALID_INPUT', 'createJoinToken: this token hash is already stored', {
    field: 'tokenHash',
  });
}

/**
 * The lineage a join token carries: a mother must exist and not be retired, and the depth is
 * always hers + 1 (0 without a mother); a different depth is refused, never corrected.
 */
async function joinTokenLineage(
  trx: Trx,
  context: StoreContext,
  spawnedBy: string | undefined,
  spawnDepth: number | undefined,
): Promise<{ spawnedBy: string | null; spawnDepth: number }> {
  const invalid = (why: string) =>
    new ColibriError('COLIBRI_INVALID_INPUT', `createJoinToken: spawnDepth: ${why}`, {
      field: 'spawnDepth',
    });
  if (spawnedBy === undefined) {
    if (spawnDepth !== undefined && spawnDepth !== 0) {
      throw invalid(`an agent without a mother (no spawnedBy) is at depth 0, not ${spawnDepth}`);
    }
    return { spawnedBy: null, spawnDepth: 0 };
  }
  const mother = await lockAgent(trx, context, spawnedBy);
  if (mother.retired_at !== null) throw agentRetired(mother, 'createJoinToken');
  const depth = Number(mother.spawn_depth) + 1;
  if (spawnDepth !== undefined && spawnDepth !== depth) {
    throw invalid(
      `a child of ${mother.name} (depth ${mother.spawn_depth}) is at depth ${depth}, not ${spawnDepth}`,
    );
  }
  return { spawnedBy: mother.id, spawnDepth: depth };
}

/** Stores a validated join token (its hash), bound to its mother's lineage when it has one. */
export async function createJoinToken(
  trx: Trx,
  context: StoreContext,
  token: CreateJoinToken,
): Promise<JoinTokenRecord> {
  const existing = await trx
    .selectFrom('join_tokens')
    .select('token_hash')
    .where('token_hash', '=', token.tokenHash)
    .executeTakeFirst();
  if (existing) throw joinTokenClash();
  const lineage = await joinTokenLineage(trx, context, token.spawnedBy, token.spawnDepth);
  const row = await trx
    .insertInto('join_tokens')
    .values({
      token_hash: token.tokenHash,
      tenant: token.tenant,
      expires_at: context.adapter.toDbTime(token.expiresAt),
      used_at: null,
      used_by_agent_id: null,
      created_at: context.time(token.at),
      spawned_by: lineage.spawnedBy,
      spawn_depth: lineage.spawnDepth,
      revoked_at: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toJoinToken(row);
}

/** The join token `tokenHash`, locked, if it can register an agent at `at`; refused otherwise. */
export async function lockUsableJoinToken(
  trx: Trx,
  context: StoreContext,
  tokenHash: string,
  at: string | Date,
): Promise<JoinTokenRow> {
  const token = await lockJoinToken(trx, context, tokenHash);
  if (!token) throw joinTokenInvalid('is not valid');
  if (token.revoked_at !== null) throw joinTokenInvalid('was revoked');
  if (token.used_at !== null) throw joinTokenInvalid('was already used');
  if (fromDbTime(token.expires_at) <= fromDbTime(at)) throw joinTokenInvalid('has expired');
  return token;
}

/** Marks a token used by `agentId`, compare-and-set on unused and unrevoked. */
export async function markJoinTokenUsed(
  trx: Trx,
  tokenHash: string,
  agentId: string,
  at: string | Date,
): Promise<void> {
  const used = await trx
    .updateTable('join_tokens')
    .set({ used_at: at, used_by_agent_id: agentId })
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (Number(used.numUpdatedRows) !== 1) throw joinTokenInvalid('was already used');
}

/** Makes an unused token unusable: true, or false for an unknown, used or already revoked one. */
export async function revokeJoinToken(trx: Trx, context: StoreContext, tokenHash: string): Promise<boolean> {
  const at = context.time();
  // The expiry moves to now as well, so that any check of the expiry alone refuses it too.
  const result = await trx
    .updateTable('join_tokens')
    .set({ revoked_at: at, expires_at: at })
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function findJoinToken(db: Db, tokenHash: string): Promise<JoinTokenRecord | undefined> {
  const row = await db
    .selectFrom('join_tokens')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst();
  return row ? toJoinToken(row) : undefined;
}
