import { ERROR_CODES, type ErrorKind } from '@colibri/errors';
import type { ProvisionResult } from '@colibri/vault';
import { EXIT_CODES, exitCodeFor } from '../exit-codes.js';

/** The exit code of a mixed batch: its failures are of different kinds. */
export const MIXED_FAILURES_EXIT_CODE = 1;

/**
 * 0 when no tenant failed. Otherwise, when every failure is of one kind, that kind's usual exit
 * code (e.g. 5 for an unreachable vault), so a script can react as for any other command;
 * failures of several kinds give 1.
 */
export function provisionExitCode(results: readonly ProvisionResult[]): number {
  const kinds = new Set<ErrorKind>();
  for (const result of results) {
    if (result.outcome !== 'failed') continue;
    const kind = (ERROR_CODES as Readonly<Record<string, ErrorKind>>)[result.code ?? 'COLIBRI_INTERNAL'];
    kinds.add(kind ?? 'internal');
  }
  if (kinds.size === 0) return 0;
  if (kinds.size > 1) return MIXED_FAILURES_EXIT_CODE;
  const [kind] = kinds;
  return kind === undefined ? exitCodeFor('COLIBRI_INTERNAL') : EXIT_CODES[kind];
}
