import { type ErrorCode, type ErrorKind, errorKind } from '@colibri/errors';

const STATUS_BY_KIND: Readonly<Record<ErrorKind, number>> = Object.freeze({
  'invalid-input': 400,
  unauthenticated: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  unavailable: 503,
  internal: 500,
});

/**
 * The HTTP status of an error code: the one mapping in the daemon. Whole kinds map at once; two
 * invalid-input codes have an HTTP status of their own.
 */
export function httpStatusOf(code: ErrorCode): number {
  if (code === 'COLIBRI_PAYLOAD_TOO_LARGE') return 413;
  if (code === 'COLIBRI_METHOD_NOT_ALLOWED') return 405;
  return STATUS_BY_KIND[errorKind(code)];
}
