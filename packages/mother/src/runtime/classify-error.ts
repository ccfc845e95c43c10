import { ERROR_CODES, type ErrorCode } from '@colibri/errors';

/**
 * What the runtime does about an error from the daemon:
 * - `retry`: nobody answered, or the daemon's store is down: try again with backoff, keep the report.
 * - `stale`: the task moved on without us (re-queued, reassigned, cancelled, gone): drop the work
 *   and its report, never send it again.
 * - `unknown-agent`: the daemon no longer knows our token or agent: register again.
 * - `refused`: anything else (bad input, forbidden, a bug): retrying unchanged would fail again.
 */
export type ErrorDisposition = 'retry' | 'stale' | 'unknown-agent' | 'refused';

const STALE: ReadonlySet<string> = new Set<ErrorCode>([
  'COLIBRI_STALE_ATTEMPT',
  'COLIBRI_ILLEGAL_TRANSITION',
  'COLIBRI_NOT_ASSIGNED_TO_AGENT',
  'COLIBRI_TASK_NOT_FOUND',
]);
const UNKNOWN_AGENT: ReadonlySet<string> = new Set<ErrorCode>([
  'COLIBRI_UNAUTHENTICATED',
  'COLIBRI_AGENT_NOT_FOUND',
]);

/** The stable code of a ColibriError-shaped error (by its `code`, not its class: it may come from another copy of the package). */
export function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code) ? code : 'COLIBRI_INTERNAL';
}

/** The message of any thrown value, for events. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** See {@link ErrorDisposition}. */
export function classifyError(error: unknown): ErrorDisposition {
  const code = errorCode(error);
  if (STALE.has(code)) return 'stale';
  if (UNKNOWN_AGENT.has(code)) return 'unknown-agent';
  // Only the daemon's own answers count: an error that is not a ColibriError at all is a bug here.
  if (code !== 'COLIBRI_INTERNAL' && ERROR_CODES[code as ErrorCode] === 'unavailable') return 'retry';
  return 'refused';
}
