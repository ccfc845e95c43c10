import { describe, expect, it } from 'vitest';
import {
  formatDuration,
  formatProvisionProgress,
  formatProvisionResult,
  formatProvisionSummary,
} from './format-provision.js';

describe('format-provision', () => {
  it('formats results, progress with timings, and the batch summary', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(2640)).toBe('2.6 s');
    expect(
      formatProvisionResult({ tenantId: 'acme', outcome: 'written', path: '/j/acme/home/agent/.env' }),
    ).toBe('acme: written /j/acme/home/agent/.env');
    expect(
      formatProvisionResult({
        tenantId: 'acme',
        outcome: 'failed',
        reason: 'sync failed',
        code: 'COLIBRI_VAULT_SYNC_FAILED',
      }),
    ).toBe('acme: failed: sync failed [COLIBRI_VAULT_SYNC_FAILED]');

    const fetched = new Map<string, number>();
    expect(
      formatProvisionProgress({ kind: 'vault-step', step: 'unlock', ok: true, durationMs: 2600 }, fetched),
    ).toBe('vault: unlock ok (2.6 s)');
    expect(
      formatProvisionProgress(
        { kind: 'tenant-fetched', tenantId: 'acme', outcome: 'secrets', durationMs: 3100 },
        fetched,
      ),
    ).toBeUndefined();
    expect(
      formatProvisionProgress(
        {
          kind: 'tenant-provisioned',
          result: { tenantId: 'acme', outcome: 'unchanged', path: '/p' },
          durationMs: 3,
        },
        fetched,
      ),
    ).toBe('acme: unchanged /p (fetch 3.1 s, write 3 ms)');

    expect(
      formatProvisionSummary([
        { tenantId: 'a', outcome: 'written' },
        { tenantId: 'b', outcome: 'failed' },
        { tenantId: 'c', outcome: 'written' },
      ]),
    ).toBe('3 tenants: 2 written, 1 failed');
    expect(formatProvisionSummary([])).toBe('0 tenants: nothing to do');
  });
});
