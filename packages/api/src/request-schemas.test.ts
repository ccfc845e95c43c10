import { isColibriError } from '@colibri/errors';
import { describe, expect, it } from 'vitest';
import {
  destroyAgentRequestSchema,
  heartbeatRequestSchema,
  intakeTaskRequestSchema,
  listAgentsQuerySchema,
  listTasksQuerySchema,
  listTenantsQuerySchema,
  parseRequest,
  pollQuerySchema,
  pollRequestSchema,
  recordProvisionRequestSchema,
  registerAgentRequestSchema,
  registerTenantRequestSchema,
  resetCollectionRequestSchema,
  retireAgentRequestSchema,
  revokeJoinTokenRequestSchema,
  setTenantStatusRequestSchema,
  spawnAgentRequestSchema,
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
  it('refuse a NUL character in every free-text field, naming it', () => {
    const cases: [Parameters<typeof parseRequest>[0], Record<string, unknown>, string][] = [
      [intakeTaskRequestSchema, { title: 'a\u0000b', requiredCapabilities: [] }, 'title'],
      [registerAgentRequestSchema, { name: 'n', host: '\u0000', capabilities: [] }, 'host'],
      [transitionTaskRequestSchema, { to: 'failed', error: 'x\u0000' }, 'error'],
      [transitionTaskRequestSchema, { to: 'cancelled', reason: 'x\u0000' }, 'reason'],
      [retireAgentRequestSchema, { reason: 'x\u0000' }, 'reason'],
      [setTenantStatusRequestSchema, { status: 'failed', reason: 'x\u0000' }, 'reason'],
      [recordProvisionRequestSchema, { outcome: 'failed', collectionId: null, reason: '\u0000' }, 'reason'],
    ];
    for (const [schema, body, field] of cases) {
      const error = failure(() => parseRequest(schema, body, 'request body'));
      expect(error.code).toBe('COLIBRI_INVALID_INPUT');
      expect(error.message).toBe(`request body: ${field}: must not contain a NUL character (\\u0000)`);
    }
    // In a JSON payload it is just data.
    expect(
      parseRequest(
        intakeTaskRequestSchema,
        { title: 't', requiredCapabilities: [], payload: 'a\u0000' },
        'b',
      ),
    ).toMatchObject({ payload: 'a\u0000' });
  });

  it('heartbeat, poll and collection-reset bodies take no fields', () => {
    for (const schema of [heartbeatRequestSchema, pollRequestSchema, resetCollectionRequestSchema]) {
      expect(parseRequest(schema, {}, 'request body')).toEqual({});
      expect(failure(() => parseRequest(schema, { colour: 'red' }, 'request body')).message).toBe(
        'request body: colour: unknown field (check its spelling)',
      );
    }
  });

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

  it('tenant registration: names checked, collection optional or null', () => {
    expect(parseRequest(registerTenantRequestSchema, { tenant: 'acme' }, 'body')).toEqual({ tenant: 'acme' });
    expect(
      parseRequest(
        registerTenantRequestSchema,
        { tenant: 'acme', jail: 'acme-jail', collection: 'Tenants/Acme' },
        'body',
      ),
    ).toEqual({ tenant: 'acme', jail: 'acme-jail', collection: 'Tenants/Acme' });
    expect(parseRequest(registerTenantRequestSchema, { tenant: 'acme', collection: null }, 'body')).toEqual({
      tenant: 'acme',
      collection: null,
    });
    const error = failure(() =>
      parseRequest(registerTenantRequestSchema, { tenant: 'Acme', jail: '../x', collection: 'a\nb' }, 'body'),
    );
    expect(error.code).toBe('COLIBRI_INVALID_INPUT');
    expect(error.message).toContain('tenant: tenant name "Acme" is not valid');
    expect(error.message).toContain('jail: jail name "../x" is not valid');
    expect(error.message).toContain(
      'collection: collection name "a\\nb" must not contain control characters',
    );
    expect(
      failure(() => parseRequest(registerTenantRequestSchema, { tenant: 'acme', colection: 'x' }, 'body'))
        .message,
    ).toContain('colection: unknown field');
  });

  it('provision records: outcome from the list, collectionId required (null allowed), none for no-bucket', () => {
    expect(
      parseRequest(
        recordProvisionRequestSchema,
        { outcome: 'written', collectionId: 'c-1', reason: 'x' },
        'body',
      ),
    ).toEqual({ outcome: 'written', collectionId: 'c-1', reason: 'x' });
    expect(
      parseRequest(recordProvisionRequestSchema, { outcome: 'no-bucket', collectionId: null }, 'body'),
    ).toEqual({
      outcome: 'no-bucket',
      collectionId: null,
    });
    expect(
      failure(() => parseRequest(recordProvisionRequestSchema, { outcome: 'written' }, 'body')).message,
    ).toContain('collectionId');
    expect(
      failure(() =>
        parseRequest(recordProvisionRequestSchema, { outcome: 'done', collectionId: null }, 'body'),
      ).message,
    ).toContain('outcome: must be one of written, unchanged, no-bucket, failed');
    expect(
      failure(() =>
        parseRequest(recordProvisionRequestSchema, { outcome: 'no-bucket', collectionId: 'c-1' }, 'body'),
      ).message,
    ).toContain('collectionId: must be null when the outcome is no-bucket');
    expect(
      failure(() =>
        parseRequest(recordProvisionRequestSchema, { outcome: 'written', collectionId: 'a b' }, 'body'),
      ).message,
    ).toContain('collectionId: must be 1 to 200 printable ASCII characters');
  });

  it('tenant status changes need a known status and a reason; list filters by status', () => {
    expect(
      parseRequest(setTenantStatusRequestSchema, { status: 'active', reason: 'agent up' }, 'body'),
    ).toEqual({
      status: 'active',
      reason: 'agent up',
    });
    const error = failure(() =>
      parseRequest(setTenantStatusRequestSchema, { status: 'gone', reason: ' ' }, 'body'),
    );
    expect(error.message).toContain('status: must be one of pending, provisioned, active, failed');
    expect(error.message).toContain('reason: must not be blank');
    expect(parseRequest(listTenantsQuerySchema, { status: 'failed' }, 'query')).toEqual({ status: 'failed' });
    expect(() => parseRequest(listTenantsQuerySchema, { status: 'lost' }, 'query')).toThrow(/one of pending/);
  });

  it('retire, revoke, spawn and destroy bodies: good ones pass, bad ones name the field', () => {
    expect(parseRequest(retireAgentRequestSchema, { reason: 'gone' }, 'request body')).toEqual({
      reason: 'gone',
    });
    expect(
      failure(() => parseRequest(retireAgentRequestSchema, { reason: ' ' }, 'request body')).message,
    ).toMatch(/reason: must not be blank/);
    expect(failure(() => parseRequest(retireAgentRequestSchema, {}, 'request body')).message).toMatch(
      /reason/,
    );
    expect(parseRequest(revokeJoinTokenRequestSchema, { token: 'abc' }, 'request body')).toEqual({
      token: 'abc',
    });
    const badToken = failure(() =>
      parseRequest(revokeJoinTokenRequestSchema, { token: 'has space' }, 'request body'),
    );
    expect(badToken.message).toMatch(/token: must be a join token/);
    expect(badToken.message).not.toContain('has space');
    expect(
      parseRequest(
        spawnAgentRequestSchema,
        { name: 'acme-2', tenant: 'acme', capabilities: ['linux'] },
        'request body',
      ),
    ).toEqual({ name: 'acme-2', tenant: 'acme', capabilities: ['linux'] });
    expect(
      parseRequest(spawnAgentRequestSchema, { name: 'acme-2', tenant: 'acme', capabilities: null }, 'b'),
    ).toEqual({
      name: 'acme-2',
      tenant: 'acme',
      capabilities: null,
    });
    const badSpawn = failure(() =>
      parseRequest(spawnAgentRequestSchema, { name: '../x', tenant: 'ALL', jail: 'x' }, 'request body'),
    );
    expect(badSpawn.message).toMatch(/name: /);
    expect(badSpawn.message).toMatch(/tenant: /);
    expect(badSpawn.message).toMatch(/jail: unknown field/);
    expect(
      failure(() => parseRequest(spawnAgentRequestSchema, { name: 'a' }, 'request body')).message,
    ).toMatch(/tenant/);
    expect(parseRequest(destroyAgentRequestSchema, { name: 'acme-2' }, 'request body')).toEqual({
      name: 'acme-2',
    });
    expect(
      failure(() => parseRequest(destroyAgentRequestSchema, { tenant: 'acme' }, 'request body')).message,
    ).toMatch(/name/);
  });

  it('includeRetired is a query boolean', () => {
    expect(parseRequest(listAgentsQuerySchema, { includeRetired: 'true' }, 'query')).toEqual({
      includeRetired: true,
    });
    expect(parseRequest(listAgentsQuerySchema, { includeRetired: 'false' }, 'query')).toEqual({
      includeRetired: false,
    });
    expect(
      failure(() => parseRequest(listAgentsQuerySchema, { includeRetired: 'yes' }, 'query')).message,
    ).toMatch(/includeRetired: must be true or false/);
  });
});
