import type { ErrorCode } from '@colibri/errors';
import type { ProvisionResult } from '@colibri/vault';
import { describe, expect, it } from 'vitest';
import { provisionExitCode } from './provision-exit-code.js';

const ok: ProvisionResult = { tenantId: 'a', outcome: 'written' };
const failed = (code: ErrorCode): ProvisionResult => ({
  tenantId: 'x',
  outcome: 'failed',
  code,
  reason: 'r',
});

describe('provisionExitCode', () => {
  it('0 without failures; one kind of failure → its usual code; several kinds → 1', () => {
    expect(
      provisionExitCode([
        ok,
        { tenantId: 'b', outcome: 'no-bucket' },
        { tenantId: 'c', outcome: 'unchanged' },
      ]),
    ).toBe(0);
    expect(provisionExitCode([])).toBe(0);
    expect(
      provisionExitCode([ok, failed('COLIBRI_VAULT_SYNC_FAILED'), failed('COLIBRI_VAULT_CLI_FAILED')]),
    ).toBe(5);
    expect(provisionExitCode([failed('COLIBRI_VAULT_COLLECTION_CHANGED')])).toBe(4);
    expect(provisionExitCode([failed('COLIBRI_UNSAFE_PATH')])).toBe(77);
    expect(
      provisionExitCode([failed('COLIBRI_VAULT_SECRET_INVALID'), failed('COLIBRI_VAULT_SYNC_FAILED')]),
    ).toBe(1);
  });
});
