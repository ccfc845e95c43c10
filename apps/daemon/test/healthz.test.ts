import { startTestPostgres } from '@colibri/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Daemon, raw, startDaemon } from './daemon-harness.js';
import { parseExposition } from './prometheus-text.js';

describe('GET /healthz', () => {
  let daemon: Daemon;
  beforeAll(async () => {
    daemon = await startDaemon();
    await daemon.operator.registerAgent({ name: 'somebody', capabilities: ['linux'] });
  });
  afterAll(() => daemon.dispose());

  it('answers without a token: alive, the store reachable, and nothing else', async () => {
    const answer = await raw(daemon.socketPath, { method: 'GET', path: '/healthz' });
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ status: 'ok', store: 'ok' });
    // A token (even a wrong one) changes nothing: the answer depends on nothing the caller sends.
    const withToken = await raw(daemon.socketPath, {
      method: 'GET',
      path: '/healthz',
      headers: { authorization: 'Bearer not-a-token-at-all-not-a-token' },
    });
    expect(withToken.status).toBe(200);
    expect(withToken.text).toBe(answer.text);
    expect((await raw(daemon.socketPath, { method: 'POST', path: '/healthz' })).status).toBe(405);
    const m = parseExposition(await daemon.operator.metrics());
    expect(m.value('colibri_http_requests_total', { method: 'GET', route: '/healthz', code: '200' })).toBe(2);
  });

  it('leaves every other route behind a token', async () => {
    for (const path of ['/v1/status', '/metrics', '/healthz/x', '/v1/healthz']) {
      expect((await raw(daemon.socketPath, { method: 'GET', path })).status, path).toBe(401);
    }
  });
});

describe('GET /healthz when the database is gone', () => {
  it('answers 503 COLIBRI_STORE_UNAVAILABLE, naming nothing of the database', async () => {
    const server = await startTestPostgres();
    let daemon: Daemon | undefined;
    try {
      const url = await server.createDatabase('colibrid_healthz');
      daemon = await startDaemon({ args: ['--database-url', url] });
      expect((await raw(daemon.socketPath, { method: 'GET', path: '/healthz' })).status).toBe(200);
      await server.stop();
      const answer = await raw(daemon.socketPath, { method: 'GET', path: '/healthz' });
      expect(answer.status).toBe(503);
      const { error } = answer.json as { error: { code: string; message: string } };
      expect(error.code).toBe('COLIBRI_STORE_UNAVAILABLE');
      expect(answer.text).not.toContain('colibrid_healthz');
      expect(answer.text).not.toMatch(/postgres|socket|ECONNREFUSED|ENOENT/i);
    } finally {
      await daemon?.dispose();
      await server.stop();
    }
  });
});
