import { AGENT_STATUSES, TASK_STATUSES } from '@colibri/protocol';
import * as v from 'valibot';
import type { StoreChange } from '../store.js';

const id = v.pipe(v.string(), v.minLength(1));

/** Who committed the change (0010-change-origin): the writer's `colibri.origin`, null or absent for others. */
const origin = v.optional(v.nullable(v.string()), null);

/** What the 0004-change-feed triggers send (with 0010's origin); anything else on the channel is not ours. */
const notificationSchema = v.variant('kind', [
  v.object({
    kind: v.literal('task'),
    id,
    status: v.picklist(TASK_STATUSES),
    agentId: v.nullable(id),
    origin,
  }),
  v.object({
    kind: v.literal('agent'),
    id,
    status: v.picklist(AGENT_STATUSES),
    what: v.picklist(['registered', 'status', 'capabilities']),
    origin,
  }),
]);

/** A notification read: the change, and the origin of the session that committed it (null: unknown). */
export interface ParsedNotification {
  readonly change: StoreChange;
  readonly origin: string | null;
}

/**
 * Reads one notification payload into a {@link StoreChange}, or returns an error message when it
 * is not one (another program writing on the channel, or a newer colibri's format).
 */
export function parseChange(payload: string | undefined): StoreChange | { readonly error: string } {
  const read = parseNotification(payload);
  return 'error' in read ? read : read.change;
}

/** Like {@link parseChange}, with the committing session's origin. */
export function parseNotification(
  payload: string | undefined,
): ParsedNotification | { readonly error: string } {
  let value: unknown;
  try {
    value = JSON.parse(payload ?? '');
  } catch {
    return { error: `not JSON: ${JSON.stringify((payload ?? '').slice(0, 200))}` };
  }
  const result = v.safeParse(notificationSchema, value);
  if (!result.success) {
    const issue = result.issues[0];
    const where = issue.path?.map((item) => String(item.key)).join('.') ?? 'payload';
    return { error: `unexpected change notification (${where}: ${issue.message})` };
  }
  const change = result.output;
  return {
    origin: change.origin,
    change:
      change.kind === 'task'
        ? Object.freeze({ kind: 'task', taskId: change.id, status: change.status, agentId: change.agentId })
        : Object.freeze({ kind: 'agent', agentId: change.id, status: change.status, what: change.what }),
  };
}
