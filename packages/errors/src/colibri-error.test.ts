import { describe, expect, it, vi } from 'vitest';
import { ColibriError, ERROR_CODES, errorKind, isColibriError } from './index.js';

describe('ColibriError', () => {
  it('is recognised across copies of this module (the CLI bundles one, its packages import another)', async () => {
    vi.resetModules();
    const copy = await import('./colibri-error.js');
    expect(copy.ColibriError).not.toBe(ColibriError);
    const fromCopy = new copy.ColibriError('COLIBRI_TASK_NOT_FOUND', 'no task abc');
    expect(fromCopy instanceof ColibriError).toBe(true);
    expect(isColibriError(fromCopy, 'COLIBRI_TASK_NOT_FOUND')).toBe(true);
    expect(copy.isColibriError(new ColibriError('COLIBRI_INVALID_INPUT', 'bad'))).toBe(true);
    const lookalike = Object.assign(new Error('no task abc'), { code: 'COLIBRI_TASK_NOT_FOUND' });
    expect(lookalike instanceof ColibriError).toBe(false);
    expect(isColibriError(lookalike)).toBe(false);
    expect(isColibriError(null)).toBe(false);
    // The mark is not enumerable: copies, spreads and deep equality see only code and details.
    expect(Object.getOwnPropertySymbols({ ...fromCopy })).toEqual([]);
  });

  it('carries a stable code, frozen details and a JSON shape without stack or cause', () => {
    const error = new ColibriError(
      'COLIBRI_TASK_NOT_FOUND',
      'no task abc',
      { taskId: 'abc' },
      { cause: new Error('inner') },
    );
    expect(error.code).toBe('COLIBRI_TASK_NOT_FOUND');
    expect(Object.isFrozen(error.details)).toBe(true);
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      code: 'COLIBRI_TASK_NOT_FOUND',
      message: 'no task abc',
      details: { taskId: 'abc' },
    });
  });

  it('isColibriError narrows by class and optionally by code', () => {
    const error = new ColibriError('COLIBRI_ILLEGAL_TRANSITION', 'done -> running');
    expect(isColibriError(error)).toBe(true);
    expect(isColibriError(error, 'COLIBRI_ILLEGAL_TRANSITION')).toBe(true);
    expect(isColibriError(error, 'COLIBRI_TASK_NOT_FOUND')).toBe(false);
    expect(isColibriError(new Error('plain'))).toBe(false);
  });

  it('every code has a kind', () => {
    for (const code of Object.keys(ERROR_CODES) as (keyof typeof ERROR_CODES)[]) {
      expect([
        'invalid-input',
        'unauthenticated',
        'forbidden',
        'not-found',
        'conflict',
        'unavailable',
        'internal',
      ]).toContain(errorKind(code));
    }
  });
});
