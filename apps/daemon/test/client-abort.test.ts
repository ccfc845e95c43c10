import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Daemon, eventually, snapshot, startDaemon } from './daemon-harness.js';
import { parseExposition } from './prometheus-text.js';

/**
 * Opens a raw connection, sends a request's headers with `Expect: 100-continue` and waits for the
 * daemon's `100 Continue` (so the request has reached the router), then half a body, then hangs up.
 */
async function halfBody(daemon: Daemon, hangUp: (socket: Socket) => void): Promise<void> {
  const socket = connect(daemon.socketPath);
  await once(socket, 'connect');
  let received = '';
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('utf8');
  });
  const closed = once(socket, 'close');
  socket.write(
    'POST /v1/tasks HTTP/1.1\r\nhost: colibri\r\n' +
      `authorization: Bearer ${daemon.operatorToken}\r\n` +
      'content-type: application/json\r\ncontent-length: 400\r\nexpect: 100-continue\r\n\r\n',
  );
  await eventually(async () => (received.includes('100 Continue') ? true : undefined), '100 Continue');
  socket.write('{"title":"half a body","requiredCapabilities":[],"payload":{"x":"');
  hangUp(socket);
  await closed;
}

// A client that hangs up mid-body is not a server error (issue 12, item 9).
describe('a client that hangs up mid-body', () => {
  let daemon: Daemon;
  beforeAll(async () => {
    daemon = await startDaemon();
  });
  afterAll(() => daemon.dispose());

  it('is logged as a client abort and counted, never a 500 or an error line, and changes nothing', async () => {
    const before = await snapshot(daemon);
    await halfBody(daemon, (socket) => socket.end()); // a FIN: the body stream just ends early
    await halfBody(daemon, (socket) => socket.destroy()); // the connection dropped
    const aborts = await eventually(async () => {
      const exposition = parseExposition(await daemon.operator.metrics());
      const n = exposition.value('colibri_http_client_aborts_total', { method: 'POST', route: '/v1/tasks' });
      return n === 2 ? exposition : undefined;
    }, 'two client aborts counted');
    expect(
      aborts.value('colibri_http_requests_total', { method: 'POST', route: '/v1/tasks', code: '500' }),
    ).toBe(undefined);
    const lines = daemon
      .logs()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: number; msg: string; route?: string; status?: number });
    const aborted = lines.filter((l) => l.msg === 'request aborted by the client');
    expect(aborted).toHaveLength(2);
    expect(aborted.every((l) => l.level === 30 && l.route === '/v1/tasks' && l.status === undefined)).toBe(
      true,
    );
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
    expect(lines.some((l) => l.status === 500)).toBe(false);
    expect(await snapshot(daemon)).toBe(before);
    // The daemon carries on as usual.
    expect((await daemon.operator.intakeTask({ title: 'whole', requiredCapabilities: [] })).task.title).toBe(
      'whole',
    );
  });
});
