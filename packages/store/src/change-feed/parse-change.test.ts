import { describe, expect, it } from 'vitest';
import { parseChange, parseNotification } from './parse-change.js';

const TASK = '0b6f3c1e-8f8a-4d7e-9f0a-2a9c3b4d5e6f';
const AGENT = '7d1e2f3a-4b5c-4d6e-8f9a-0b1c2d3e4f5a';

describe('parseChange', () => {
  it('reads the task notification the trigger sends', () => {
    expect(
      parseChange(JSON.stringify({ kind: 'task', id: TASK, status: 'assigned', agentId: AGENT })),
    ).toEqual({ kind: 'task', taskId: TASK, status: 'assigned', agentId: AGENT });
    expect(parseChange(JSON.stringify({ kind: 'task', id: TASK, status: 'parked', agentId: null }))).toEqual({
      kind: 'task',
      taskId: TASK,
      status: 'parked',
      agentId: null,
    });
  });

  it('reads the agent notification the trigger sends', () => {
    expect(
      parseChange(JSON.stringify({ kind: 'agent', id: AGENT, status: 'offline', what: 'status' })),
    ).toEqual({ kind: 'agent', agentId: AGENT, status: 'offline', what: 'status' });
  });

  it('reads the origin of the committing session, null when the writer set none (or an older trigger)', () => {
    const change = { kind: 'task', taskId: TASK, status: 'done', agentId: AGENT };
    expect(
      parseNotification(
        JSON.stringify({ kind: 'task', id: TASK, status: 'done', agentId: AGENT, origin: 'o1' }),
      ),
    ).toEqual({ origin: 'o1', change });
    expect(
      parseNotification(
        JSON.stringify({ kind: 'task', id: TASK, status: 'done', agentId: AGENT, origin: null }),
      ),
    ).toEqual({ origin: null, change });
    expect(
      parseNotification(JSON.stringify({ kind: 'task', id: TASK, status: 'done', agentId: AGENT })),
    ).toEqual({ origin: null, change });
  });

  it('refuses what is not ours, saying what is wrong', () => {
    expect(parseChange('hello')).toEqual({ error: 'not JSON: "hello"' });
    expect(parseChange(undefined)).toMatchObject({ error: expect.stringMatching(/not JSON/) });
    expect(parseChange(JSON.stringify({ kind: 'tenant', id: 'x' }))).toMatchObject({
      error: expect.stringMatching(/unexpected change notification \(kind:/),
    });
    expect(
      parseChange(JSON.stringify({ kind: 'task', id: TASK, status: 'exploded', agentId: null })),
    ).toMatchObject({ error: expect.stringMatching(/status:/) });
    expect(
      parseChange(JSON.stringify({ kind: 'agent', id: AGENT, status: 'idle', what: 'mood' })),
    ).toMatchObject({ error: expect.stringMatching(/what:/) });
  });
});
