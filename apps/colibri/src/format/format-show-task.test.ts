import type { ParkedReason } from '@colibri/api';
import { describe, expect, it } from 'vitest';
import { task } from './fixtures.test-helper.js';
import { briefParkedReason, formatParkedReason } from './format-parked-reason.js';
import { formatShowTask } from './format-show-task.js';

const parked: ParkedReason = {
  candidates: [
    { agentId: 'a-1', agentName: 'domedog', missing: ['screenshot'] },
    { agentId: 'a-2', agentName: 'hermes-debby', missing: ['screenshot', 'linx'] },
  ],
  unmatchedTags: ['screenshot', 'linx'],
  neverAdvertised: [
    { tag: 'linx', suggestion: 'linux' },
    { tag: 'qqq', suggestion: null },
  ],
};

describe('briefParkedReason', () => {
  it('names the tags nobody offers, or that no agent is online', () => {
    expect(briefParkedReason(parked)).toBe('no eligible online agent offers screenshot, linx');
    expect(briefParkedReason({ candidates: [], unmatchedTags: [], neverAdvertised: [] })).toBe(
      'no eligible agent is online',
    );
    expect(
      briefParkedReason({
        candidates: [{ agentId: 'a', agentName: 'a', missing: ['gpu'] }],
        unmatchedTags: [],
        neverAdvertised: [],
      }),
    ).toBe('no single eligible online agent has all the required tags');
  });

  it('says when a capable agent exists but holds as many tasks as it has slots', () => {
    const busy = {
      candidates: [
        { agentId: 'a', agentName: 'worker', missing: [] },
        { agentId: 'b', agentName: 'other', missing: ['gpu'] },
      ],
      unmatchedTags: [],
      neverAdvertised: [],
    };
    expect(briefParkedReason(busy)).toBe('every capable agent has all its slots in use');
    expect(formatParkedReason(busy).split('\n')[0]).toBe(
      'parked: every capable agent has all its slots in use; it is assigned when one frees a slot (tenants take turns)',
    );
    expect(formatParkedReason(busy)).toMatch(/worker +a +- \(busy\)/);
  });
});

describe('formatParkedReason', () => {
  it('lists each online agent with what it lacks, closest first, and warns about never-advertised tags', () => {
    expect(formatParkedReason(parked).split('\n')).toEqual([
      'parked: no eligible online agent offers screenshot, linx; it is assigned as soon as a capable agent appears',
      '',
      'closest online agents:',
      '  AGENT         ID   LACKS',
      '  domedog       a-1  screenshot',
      '  hermes-debby  a-2  screenshot, linx',
      '',
      'warning: no agent has ever advertised "linx"; did you mean "linux"?',
      'warning: no agent has ever advertised "qqq"',
    ]);
  });
});

describe('formatShowTask', () => {
  it('prints the fields, the history and, while parked, the explanation', () => {
    const text = formatShowTask({
      task: task({
        status: 'parked',
        assignedAgentId: null,
        attempt: 0,
        requiredCapabilities: ['screenshot'],
      }),
      events: [
        {
          id: 1,
          from: null,
          to: 'parked',
          agentId: null,
          attempt: 0,
          reason: 'intake',
          at: '2026-06-19T11:00:00.000Z',
        },
      ],
      parked,
      stderrTail: null,
    });
    expect(text).toContain(
      'task         t-1\ntitle        render thumbnails\nstatus       parked\nneeds        screenshot\n',
    );
    expect(text).toContain('payload      {"url":"https://example.org"}');
    expect(text).toContain(
      'history:\n  AT                        FROM   TO      ATTEMPT  AGENT  REASON\n  2026-06-19T11:00:00.000Z  (new)  parked  0        -      intake',
    );
    expect(text).toContain('warning: no agent has ever advertised "linx"; did you mean "linux"?');
    expect(text).not.toContain('result');
  });

  it('shows result and error when present, and no parked section otherwise', () => {
    const text = formatShowTask({
      task: task({ status: 'failed', result: { partial: true }, error: 'ffmpeg exited 1' }),
      events: [],
      stderrTail: null,
    });
    expect(text).toContain('result       {"partial":true}');
    expect(text).toContain('error        ffmpeg exited 1');
    expect(text).toContain('(no events)');
    expect(text).not.toContain('parked:');
    expect(text).not.toContain('stderr');
    expect(text).not.toContain('expires');
  });

  it('shows an expired task with its deadline and its reason', () => {
    const reason = 'no capable agent within 30m; missing gpu on every online agent';
    const text = formatShowTask({
      task: task({
        status: 'expired',
        assignedAgentId: null,
        attempt: 0,
        expiresAt: '2026-06-19T11:30:00.000Z',
      }),
      events: [
        {
          id: 1,
          from: null,
          to: 'parked',
          agentId: null,
          attempt: 0,
          reason: 'intake',
          at: '2026-06-19T11:00:00.000Z',
        },
        {
          id: 2,
          from: 'parked',
          to: 'expired',
          agentId: null,
          attempt: 0,
          reason,
          at: '2026-06-19T11:30:00.000Z',
        },
      ],
      stderrTail: null,
    });
    expect(text).toContain('expires      2026-06-19T11:30:00.000Z');
    expect(text).toContain(`expired: ${reason}`);
  });

  it("shows the handler's stderr tail, indented", () => {
    const text = formatShowTask({
      task: task({ status: 'failed', error: '[COLIBRI_HANDLER_FAILED] handler exited with code 3' }),
      events: [],
      stderrTail: 'loading model\nImportError: no module named PIL\n',
    });
    expect(text).toMatch(
      /stderr \(the handler's last 64 KiB, secrets scrubbed\):\n {2}loading model\n {2}ImportError: no module named PIL$/,
    );
  });
});

describe('formatShowTask: retries and idempotency', () => {
  it('shows the retry policy, when a waiting retry is due, the last error and the key', () => {
    const text = formatShowTask({
      task: task({
        status: 'parked',
        assignedAgentId: null,
        attempt: 1,
        retryBackoffMs: 10_000,
        notBefore: '2026-06-19T11:00:11.000Z',
        error: 'exit 1',
        idempotencyKey: 'invoice-1234',
      }),
      events: [],
      stderrTail: null,
    });
    expect(text).toMatch(/retries\s+after a failed attempt, backoff 10s doubled each time \(at most 1h\)/);
    expect(text).toMatch(/not before\s+2026-06-19T11:00:11.000Z \(retry backoff\)/);
    expect(text).toMatch(/last error\s+exit 1/);
    expect(text).toMatch(/idempotency key\s+invoice-1234/);
  });

  it('says a failed handler ends a task without a retry policy, and shows no due time once it runs', () => {
    const text = formatShowTask({
      task: task({ notBefore: '2026-06-19T11:00:11.000Z' }),
      events: [],
      stderrTail: null,
    });
    expect(text).toMatch(/retries\s+none \(a failed handler ends the task\)/);
    expect(text).not.toContain('not before');
    expect(text).not.toContain('idempotency key');
  });
});
