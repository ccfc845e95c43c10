import { ColibriError } from '@colibri/errors';
import { describe, expect, it } from 'vitest';
import {
  formatDestroySummary,
  formatFailureContext,
  formatRollbackLine,
  formatSpawnSummary,
  formatStepLine,
} from './format-spawn.js';

describe('format-spawn', () => {
  it('one line per step: mark, name, seconds, detail', () => {
    expect(
      formatStepLine({
        step: 'create-jail',
        status: 'done',
        durationMs: 40,
        detail: 'jail acme created (uid 470001)',
      }),
    ).toBe('✓ create-jail       0.04 s  jail acme created (uid 470001)');
    expect(
      formatStepLine({ step: 'wait-registered', status: 'skipped', durationMs: 0, detail: 'registered' }),
    ).toBe('– wait-registered   0.00 s  registered');
    expect(
      formatStepLine({ step: 'provision', status: 'failed', durationMs: 12_345, detail: 'bw down' }),
    ).toBe('✗ provision        12.35 s  bw down');
  });

  it('rollback lines; a failed one says so loudly', () => {
    expect(
      formatRollbackLine({ action: 'destroy jail', status: 'done', detail: 'jail acme destroyed' }),
    ).toBe('↩ rolled back destroy jail: jail acme destroyed');
    expect(formatRollbackLine({ action: 'remove .env', status: 'failed', detail: 'EBUSY' })).toBe(
      '✗ rollback FAILED: remove .env: EBUSY',
    );
  });

  it('summaries', () => {
    const report = {
      agentName: 'acme-agent',
      tenant: 'acme',
      jail: 'acme',
      driver: 'linux' as const,
      agentId: 'a-1',
      steps: [],
      tenantSecrets: null,
    };
    expect(formatSpawnSummary({ ...report, outcome: 'spawned' })).toBe(
      'agent acme-agent joined the hive: tenant acme, jail acme (linux), agent id a-1',
    );
    expect(formatSpawnSummary({ ...report, outcome: 'already-healthy' })).toMatch(
      /already healthy, nothing changed/,
    );
    expect(formatSpawnSummary({ ...report, outcome: 'repaired' })).toMatch(/repaired and back in the hive/);
    expect(
      formatDestroySummary({ agentName: 'x', tenant: 't', jail: 'j', outcome: 'absent', steps: [] }),
    ).toMatch(/nothing to tear down/);
  });

  it('failure context: the log tail, or every failed preflight check with its fix', () => {
    const logged = new ColibriError('COLIBRI_WAIT_TIMEOUT', 'x', {
      causeDetails: { logPath: '/j/acme/run/agent.log', logTail: ['one', 'two'] },
    });
    expect(formatFailureContext(logged)).toBe(
      "  the agent's last log lines (/j/acme/run/agent.log):\n  | one\n  | two\n",
    );
    const preflight = new ColibriError('COLIBRI_PREFLIGHT_FAILED', 'x', {
      causeDetails: {
        checks: [
          { name: 'root', ok: true, detail: 'euid 0' },
          { name: 'jail-root', ok: false, detail: 'a symbolic link', fix: 'use a directory' },
        ],
      },
    });
    expect(formatFailureContext(preflight)).toBe('  ✗ jail-root: a symbolic link — fix: use a directory\n');
    expect(formatFailureContext(new Error('x'))).toBe('');
  });
});
