import { ERROR_CODES, type ErrorCode } from '@colibri/errors';
import { describe, expect, it } from 'vitest';
import { httpStatusOf } from './http-status.js';

describe('httpStatusOf', () => {
  it.each([
    ['COLIBRI_INVALID_INPUT', 400],
    ['COLIBRI_INVALID_CAPABILITY', 400],
    ['COLIBRI_PAYLOAD_TOO_LARGE', 413],
    ['COLIBRI_METHOD_NOT_ALLOWED', 405],
    ['COLIBRI_UNAUTHENTICATED', 401],
    ['COLIBRI_JOIN_TOKEN_INVALID', 401],
    ['COLIBRI_FORBIDDEN', 403],
    ['COLIBRI_TASK_NOT_FOUND', 404],
    ['COLIBRI_ROUTE_NOT_FOUND', 404],
    ['COLIBRI_STALE_ATTEMPT', 409],
    ['COLIBRI_ILLEGAL_TRANSITION', 409],
    ['COLIBRI_STORE_UNAVAILABLE', 503],
    ['COLIBRI_INTERNAL', 500],
  ] as const)('%s → %d', (code, status) => {
    expect(httpStatusOf(code)).toBe(status);
  });

  it('maps every code, and only internal ones to 5xx besides unavailability', () => {
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
      expect([400, 401, 403, 404, 405, 409, 413, 500, 503]).toContain(httpStatusOf(code));
    }
  });
});
