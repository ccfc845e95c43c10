import { ColibriError } from '@colibri/errors';
import * as v from 'valibot';

/** A handler's name: a plain file name in the handlers directory (no `/`, cannot start with `.`). */
export const HANDLER_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** What the runtime reads from a task's payload; the rest of it is the handler's business. */
export interface HandlerRequest {
  /** The handler to run: `<handlersDir>/<handler>`. */
  readonly handler: string;
  /** The time limit for this run: the payload's `timeoutSeconds`, never more than the agent's maximum. */
  readonly timeoutMs: number;
}

const payloadSchema = v.looseObject({
  handler: v.pipe(
    v.string('must be a string naming an executable in the handlers directory'),
    v.regex(
      HANDLER_NAME_PATTERN,
      'must be 1-64 characters of a-z, 0-9, ".", "_" and "-", starting with a letter or digit',
    ),
  ),
  timeoutSeconds: v.optional(
    v.pipe(
      v.number('must be a number of seconds'),
      v.finite('must be finite'),
      v.gtValue(0, 'must be more than 0'),
    ),
  ),
});

/**
 * Reads `{ "handler": "<name>", "timeoutSeconds"?: n, ...anything }` from a task payload. A payload
 * may ask for less time than the agent allows, never more: a longer request is cut to the agent's
 * maximum (the agent's operator, not the task's author, bounds what runs on the host). Throws
 * `COLIBRI_INVALID_INPUT` naming the field and what to send instead.
 */
export function parseHandlerPayload(payload: unknown, maxTimeoutMs: number): HandlerRequest {
  const shape = 'send a JSON object like {"handler": "<name>", ...}';
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload) || !('handler' in payload)) {
    throw new ColibriError(
      'COLIBRI_INVALID_INPUT',
      `task payload must be a JSON object naming its handler: ${shape}`,
      { field: 'payload.handler' },
    );
  }
  const result = v.safeParse(payloadSchema, payload);
  if (!result.success) {
    const issue = result.issues[0];
    const field = issue.path?.map((p) => String(p.key)).join('.');
    throw new ColibriError(
      'COLIBRI_INVALID_INPUT',
      field === undefined || field === ''
        ? `task payload must be a JSON object naming its handler: ${shape}`
        : `task payload: ${field} ${issue.message}; ${shape}`,
      { field: field === undefined || field === '' ? 'payload' : `payload.${field}` },
    );
  }
  const asked = result.output.timeoutSeconds;
  const timeoutMs = asked === undefined ? maxTimeoutMs : Math.min(maxTimeoutMs, Math.ceil(asked * 1000));
  return { handler: result.output.handler, timeoutMs };
}
