import { describe, expect, it } from 'vitest';
import { parseHandlerPayload } from './parse-handler-payload.js';

describe('parseHandlerPayload', () => {
  it('reads the handler and keeps the agent maximum as the default time limit', () => {
    expect(parseHandlerPayload({ handler: 'render', width: 200 }, 60_000)).toEqual({
      handler: 'render',
      timeoutMs: 60_000,
    });
  });

  it('a payload may ask for less time, never more', () => {
    expect(parseHandlerPayload({ handler: 'a', timeoutSeconds: 1.5 }, 60_000).timeoutMs).toBe(1500);
    expect(parseHandlerPayload({ handler: 'a', timeoutSeconds: 3600 }, 60_000).timeoutMs).toBe(60_000);
  });

  it.each([
    [null, /must be a JSON object naming its handler/],
    ['render', /must be a JSON object naming its handler/],
    [[1], /must be a JSON object naming its handler/],
    [{}, /must be a JSON object naming its handler/],
    [{ handler: null }, /handler must be a string/],
    [{ handler: 7 }, /handler must be a string/],
    [{ handler: '../bin/sh' }, /handler must be 1-64 characters/],
    [{ handler: '.hidden' }, /handler must be 1-64 characters/],
    [{ handler: 'a/b' }, /handler must be 1-64 characters/],
    [{ handler: 'Render' }, /handler must be 1-64 characters/],
    [{ handler: 'x'.repeat(65) }, /handler must be 1-64 characters/],
    [{ handler: 'a', timeoutSeconds: 0 }, /timeoutSeconds must be more than 0/],
    [{ handler: 'a', timeoutSeconds: '5' }, /timeoutSeconds must be a number/],
  ])('refuses %j with a clear reason', (payload, message) => {
    expect(() => parseHandlerPayload(payload, 60_000)).toThrow(message);
    try {
      parseHandlerPayload(payload, 60_000);
    } catch (error) {
      expect((error as { code: string }).code).toBe('COLIBRI_INVALID_INPUT');
      expect((error as Error).message).toMatch(/send a JSON object like \{"handler": "<name>", \.\.\.\}/);
    }
  });
});
