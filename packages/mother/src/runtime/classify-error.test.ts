import { ColibriError } from '@colibri/errors';
import { describe, expect, it } from 'vitest';
import { classifyError, errorCode } from './classify-error.js';

describe('classifyError', () => {
  it.each([
    ['COLIBRI_DAEMON_UNREACHABLE', 'retry'],
    ['COLIBRI_STORE_UNAVAILABLE', 'retry'],
    ['COLIBRI_STALE_ATTEMPT', 'stale'],
    ['COLIBRI_ILLEGAL_TRANSITION', 'stale'],
    ['COLIBRI_NOT_ASSIGNED_TO_AGENT', 'stale'],
    ['COLIBRI_TASK_NOT_FOUND', 'stale'],
    ['COLIBRI_UNAUTHENTICATED', 'unknown-agent'],
    ['COLIBRI_AGENT_NOT_FOUND', 'unknown-agent'],
    ['COLIBRI_INVALID_INPUT', 'refused'],
    ['COLIBRI_FORBIDDEN', 'refused'],
    ['COLIBRI_PAYLOAD_TOO_LARGE', 'refused'],
    ['COLIBRI_INTERNAL', 'refused'],
  ] as const)('%s → %s', (code, disposition) => {
    expect(classifyError(new ColibriError(code, 'x'))).toBe(disposition);
  });

  it('judges by the code, not the class; anything else is a refusal', () => {
    expect(classifyError({ code: 'COLIBRI_DAEMON_UNREACHABLE' })).toBe('retry');
    expect(classifyError(new TypeError('bug'))).toBe('refused');
    expect(classifyError(Object.assign(new Error('socket'), { code: 'ECONNREFUSED' }))).toBe('refused');
    expect(errorCode({ code: 'NOT_OURS' })).toBe('COLIBRI_INTERNAL');
    expect(errorCode(undefined)).toBe('COLIBRI_INTERNAL');
  });
});
