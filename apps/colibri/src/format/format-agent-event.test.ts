import type { AgentEvent } from '@colibri/mother';
import { describe, expect, it } from 'vitest';
import { formatAgentEvent } from './format-agent-event.js';

const t = { taskId: 't1', attempt: 2 };

describe('formatAgentEvent', () => {
  it.each<[AgentEvent, string]>([
    [
      {
        type: 'registered',
        agentId: 'a1',
        name: 'acme-1',
        tenant: 'acme',
        capabilities: ['linux', 'gpu'],
        via: 'join',
      },
      'registered as acme-1 (agent a1, tenant acme) with a join token: linux, gpu',
    ],
    [
      { type: 'registered', agentId: 'a1', name: 'media', tenant: null, capabilities: [], via: 'stored' },
      'registered as media (agent a1, shared) with its stored agent token: no tags',
    ],
    [{ type: 'capabilities-updated', agentId: 'a1', capabilities: ['linux'] }, 'capabilities updated: linux'],
    [
      { type: 'stored-token-rejected', agentId: 'a1', code: 'COLIBRI_UNAUTHENTICATED' },
      'the daemon refused the agent token of a1 (COLIBRI_UNAUTHENTICATED): registering again',
    ],
    [
      {
        type: 'connection-lost',
        during: 'poll',
        code: 'COLIBRI_DAEMON_UNREACHABLE',
        message: 'ECONNREFUSED',
        retryInMs: 400,
      },
      'daemon unreachable during poll (ECONNREFUSED): retrying in 400 ms',
    ],
    [{ type: 'connection-restored', during: 'heartbeat' }, 'daemon reachable again (heartbeat)'],
    [
      { type: 'task-started', ...t, handler: 'render', timeoutMs: 1500 },
      'task t1 attempt 2: running handler render (time limit 1.5 s)',
    ],
    [
      { type: 'task-rejected', ...t, code: 'COLIBRI_HANDLER_NOT_FOUND', reason: 'handler "x" not found' },
      'task t1 attempt 2: cannot run: handler "x" not found [COLIBRI_HANDLER_NOT_FOUND]',
    ],
    [{ type: 'task-finished', ...t, outcome: 'done' }, 'task t1 attempt 2: handler done'],
    [
      {
        type: 'task-finished',
        ...t,
        outcome: 'failed',
        reason: 'handler exited with code 3',
        code: 'COLIBRI_HANDLER_FAILED',
      },
      'task t1 attempt 2: handler failed: handler exited with code 3 [COLIBRI_HANDLER_FAILED]',
    ],
    [
      { type: 'report-retry', ...t, to: 'done', code: 'COLIBRI_DAEMON_UNREACHABLE', retryInMs: 200 },
      'task t1 attempt 2: reporting done did not reach the daemon (COLIBRI_DAEMON_UNREACHABLE): retrying in 200 ms',
    ],
    [{ type: 'report-delivered', ...t, to: 'running' }, 'task t1 attempt 2: reported running'],
    [
      {
        type: 'report-dropped',
        ...t,
        to: 'done',
        code: 'COLIBRI_STALE_ATTEMPT',
        reason: 'attempt 2 is stale',
      },
      'task t1 attempt 2: the daemon refused done (attempt 2 is stale) [COLIBRI_STALE_ATTEMPT]: dropped',
    ],
    [
      { type: 'result-refused', ...t, code: 'COLIBRI_PAYLOAD_TOO_LARGE' },
      'task t1 attempt 2: the daemon refused the result [COLIBRI_PAYLOAD_TOO_LARGE]: reporting failed instead',
    ],
    [
      { type: 'draining', reason: 'SIGTERM', running: 1 },
      'draining (SIGTERM): 1 handler(s) running; taking no new tasks',
    ],
    [
      { type: 'handler-killed', ...t, why: 'drain' },
      'task t1 attempt 2: handler killed by the drain; the task is handed back',
    ],
    [
      { type: 'handler-killed', ...t, why: 'superseded' },
      'task t1 attempt 2: handler killed: the daemon gave the task a newer attempt',
    ],
    [
      { type: 'handler-killed', ...t, why: 'revoked' },
      'task t1 attempt 2: handler killed (its process group is gone): the task was taken away',
    ],
    [
      { type: 'task-revoked', ...t, status: 'cancelled', reason: 'no longer needed' },
      'task t1 attempt 2: now cancelled (no longer needed): killing its handler, no report',
    ],
    [
      { type: 'task-revoked', ...t, status: null, reason: null },
      'task t1 attempt 2: gone: killing its handler, no report',
    ],
    [{ type: 'offline', agentId: 'a1', requeued: [], failed: [] }, 'offline; handed back: nothing'],
    [
      { type: 'offline', agentId: 'a1', requeued: ['t1', 't2'], failed: ['t3'] },
      'offline; handed back: t1, t2; failed after their last attempt: t3',
    ],
    [
      { type: 'offline-failed', agentId: 'a1', code: 'COLIBRI_DAEMON_UNREACHABLE', message: 'ECONNREFUSED' },
      'could not go offline (ECONNREFUSED) [COLIBRI_DAEMON_UNREACHABLE]: the daemon will notice the missed heartbeats',
    ],
    [{ type: 'stopped', reason: 'SIGTERM' }, 'stopped (SIGTERM)'],
    [
      { type: 'error', during: 'start', code: 'COLIBRI_IDENTITY_INVALID', message: 'bad' },
      'error during start: bad [COLIBRI_IDENTITY_INVALID]',
    ],
  ])('%j', (event, line) => {
    expect(formatAgentEvent(event)).toBe(line);
  });
});
