import { isColibriError } from '@colibri/errors';
import { describe, expect, it } from 'vitest';
import {
  intakeTaskRequestSchema,
  listTasksQuerySchema,
  parseRequest,
  pollQuerySchema,
  registerAgentRequestSchema,
  transitionTaskRequestSchema,
} from './request-schemas.js';

function failure(fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    if (isColibriError(error)) return error;
    throw error;
  }
  throw new Error('expected a throw');
}

describe('request schemas', () => {
  it('accept a good body and freeze it', () => {
    const body = parseRequest(
      intakeTaskRequestSchema,
      { title: 'render', requiredCapabilities: ['image-render'], payload: { a: 1 }, priority: 5 },
      'request body',
    );
    expect(body).toEqual({
      title: 'render',
      requiredCapabilities: ['image-render'],
      payload: { a: 1 },
      priority: 5,
    });
    expect(Object.isFrozen(body)).toBe(true);
  });

  it('name every offending field, unknown fields included', () => {
    const error = failure(() =>
      parseRequest(
        intakeTaskRequestSchema,
        { title: '', requiredCapabilities: [], priority: 1.5, colour: 'red' },
        'request body',
      ),
    );
    expect(error.code).toBe('COLIBRI_INVALID_INPUT');
    expect(error.message).toContain('request body: ');
    expect(error.message).toContain('title: must not be empty');
    expect(error.message).toContain('priority: must be an integer');
    expect(error.message).toContain('colour: unknown field');
  });

  it('report a bad tag as COLIBRI_INVALID_CAPABILITY with the hint', () => {
    const error = failure(() =>
      parseRequest(registerAgentRequestSchema, { name: 'a', capabilities: ['Linux'] }, 'request body'),
    );
    expect(error.code).toBe('COLIBRI_INVALID_CAPABILITY');
    expect(error.message).toContain('did you mean "linux"');
  });

  it('refuse non-objects and unknown transitions', () => {
    expect(failure(() => parseRequest(transitionTaskRequestSchema, null, 'body')).message).toContain(
      'Expected Object',
    );
    expect(
      failure(() => parseRequest(transitionTaskRequestSchema, { to: 'assigned' }, 'body')).message,
    ).toContain('to: must be one of running, done, failed, cancelled, parked');
  });

  it('parse query strings into numbers within range', () => {
    expect(parseRequest(listTasksQuerySchema, { limit: '10', status: 'parked' }, 'query')).toEqual({
      limit: 10,
      status: 'parked',
    });
    expect(() => parseRequest(listTasksQuerySchema, { limit: '-1' }, 'query')).toThrow(/whole number/);
    expect(() => parseRequest(pollQuerySchema, { wait: '61' }, 'query')).toThrow(/at most 60/);
    expect(() => parseRequest(listTasksQuerySchema, { status: 'lost' }, 'query')).toThrow(/one of parked/);
  });
});
