import { isLegalTaskTransition, TASK_STATUSES, type TaskStatus } from '@colibri/protocol';
import { sql } from 'kysely';
import type * as v from 'valibot';
import type { transitionTaskSchema } from './input-schemas.js';
import { isStoreId } from './input-schemas.js';
import { type TaskRow, toTask } from './row-mapping.js';
import type { TaskRecord } from './store.js';
import type { Db, StoreContext } from './store-context.js';

type TransitionTask = v.InferOutput<typeof transitionTaskSchema>;

/** The moves `colibri_move_task` makes (0011): what agents report, and a cancel. */
const ONE_STATEMENT_MOVES: ReadonlySet<TaskStatus> = new Set(['running', 'done', 'failed', 'cancelled']);

/** For each target, the statuses it may be reached from (the protocol's table, read once). */
const LEGAL_FROM = new Map(
  [...ONE_STATEMENT_MOVES].map((to) => [to, TASK_STATUSES.filter((from) => isLegalTaskTransition(from, to))]),
);

/**
 * PostgreSQL: a transition in one autocommitted statement (`colibri_move_task`, migration 0011)
 * instead of BEGIN, a locking read, UPDATE, INSERT of the event, the agent's recount and COMMIT.
 * Returns the moved task, or undefined when the function refused (it wrote nothing): the caller
 * then runs the usual transaction, which reports why. Moves it does not cover (back to parked, a
 * failure under a retry policy) are undefined at once.
 */
export async function moveTaskStatement(
  db: Db,
  context: StoreContext,
  change: TransitionTask,
): Promise<TaskRecord | undefined> {
  const from = LEGAL_FROM.get(change.to);
  if (from === undefined || !isStoreId(change.taskId)) return undefined;
  const { rows } = await sql<TaskRow>`select * from colibri_move_task(
    ${change.taskId}, ${change.to}, ${from}::text[], ${change.agentId ?? null}, ${change.attempt ?? null},
    ${change.result !== undefined}, ${change.result ?? null}, ${change.stderrTail !== undefined},
    ${change.stderrTail ?? null}, ${change.error ?? null}, ${change.reason ?? null}, ${context.time(change.at)})`.execute(
    db,
  );
  const row = rows[0];
  return row === undefined ? undefined : toTask(row);
}
