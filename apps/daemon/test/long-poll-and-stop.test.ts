import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type Daemon, eventually, startDaemon } from './daemon-harness.js';

// The test timeout (well under the 60 s wait) is the failure guard: a poll that only returned at
// the end of its wait would fail the test. Nothing asserts on elapsed time.
describe('long poll', () => {
  let daemon: Daemon | undefined;
  afterEach(() => daemon?.dispose());

  it('returns as soon as a task is assigned to the agent', { timeout: 30_000 }, async () => {
    daemon = await startDaemon();
    const { agent, token } = await daemon.operator.registerAgent({ name: 'waiter', capabilities: ['linux'] });
    const polling = daemon.client(token).poll(agent.id, { waitSeconds: 60 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const { task } = await daemon.operator.intakeTask({ title: 'wake up', requiredCapabilities: ['linux'] });
    const { tasks } = await polling;
    expect(tasks.map((t) => t.id)).toEqual([task.id]);
    expect(tasks[0]).toMatchObject({ status: 'assigned', attempt: 1 });
  });

  it('returns at once when a task is already assigned, and after the wait when none comes', {
    timeout: 30_000,
  }, async () => {
    daemon = await startDaemon();
    const { agent, token } = await daemon.operator.registerAgent({ name: 'waiter', capabilities: ['linux'] });
    const client = daemon.client(token);
    expect((await client.poll(agent.id, { waitSeconds: 1 })).tasks).toEqual([]);
    await daemon.operator.intakeTask({ title: 'ready', requiredCapabilities: ['linux'] });
    expect((await client.poll(agent.id, { waitSeconds: 60 })).tasks).toHaveLength(1);
  });

  it('SIGTERM ends long polls, finishes and exits 0, removing the socket', { timeout: 30_000 }, async () => {
    daemon = await startDaemon();
    const { agent, token } = await daemon.operator.registerAgent({ name: 'waiter', capabilities: ['linux'] });
    const polling = daemon.client(token).poll(agent.id, { waitSeconds: 60 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const exit = daemon.stop('SIGTERM');
    expect((await polling).tasks).toEqual([]);
    expect(await exit).toEqual({ code: 0, signal: null });
    expect(existsSync(daemon.socketPath)).toBe(false);
    expect(daemon.logs()).toContain('colibrid stopped serving');
  });
});

describe('stopping', () => {
  let daemon: Daemon | undefined;
  afterEach(() => daemon?.dispose());

  /** Starts a POST /v1/tasks whose body is only half sent: a request held in flight by its client. */
  async function halfSentIntake(d: Daemon) {
    const body = JSON.stringify({ title: 'in flight', requiredCapabilities: [] });
    const socket = connect(d.socketPath);
    await new Promise((resolve) => socket.once('connect', resolve));
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk;
    });
    const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write(
      `POST /v1/tasks HTTP/1.1\r\nhost: colibri\r\nauthorization: Bearer ${d.operatorToken}\r\n` +
        `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 10)}`,
    );
    return { finish: () => socket.write(body.slice(10)), answer: () => ended.then(() => answer), socket };
  }

  it('lets an in-flight request finish after SIGTERM, then exits 0', { timeout: 30_000 }, async () => {
    daemon = await startDaemon({ keepHome: true });
    const request = await halfSentIntake(daemon);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const exit = daemon.stop('SIGTERM');
    await eventually(
      async () => (daemon!.logs().includes('stopping: finishing') ? true : undefined),
      'SIGTERM',
    );
    request.finish();
    expect(await request.answer()).toMatch(/^HTTP\/1\.1 201 /);
    expect(await exit).toEqual({ code: 0, signal: null });
    // The accepted task is there after a restart.
    const again = await startDaemon({ home: daemon.home });
    try {
      expect((await again.operator.listTasks()).tasks.map((t) => t.title)).toEqual(['in flight']);
    } finally {
      await again.dispose();
    }
  });

  it('a second signal forces the exit', { timeout: 30_000 }, async () => {
    daemon = await startDaemon();
    const request = await halfSentIntake(daemon);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const exit = daemon.stop('SIGTERM');
    await eventually(
      async () => (daemon!.logs().includes('stopping: finishing') ? true : undefined),
      'SIGTERM',
    );
    daemon.child.kill('SIGINT');
    expect(await exit).toEqual({ code: 1, signal: null });
    expect(daemon.logs()).toContain('second signal');
    request.socket.destroy();
  });
});
