import type { ProvisionProgressEvent, ProvisionResult } from '@colibri/vault';

/** Milliseconds for people: `850 ms`, `2.6 s`. */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** One result as a line: `acme: written /jails/acme/home/agent/.env`, `acme: failed: why [CODE]`. */
export function formatProvisionResult(result: ProvisionResult): string {
  switch (result.outcome) {
    case 'written':
    case 'unchanged':
      return `${result.tenantId}: ${result.outcome} ${result.path ?? ''}`.trimEnd();
    case 'no-bucket':
      return `${result.tenantId}: no-bucket (no secrets: nothing written)`;
    case 'failed':
      return `${result.tenantId}: failed: ${result.reason ?? 'unknown reason'} [${result.code ?? 'COLIBRI_INTERNAL'}]`;
  }
}

/**
 * Progress lines for a batch (stderr): each slow vault step once, then one line per tenant with
 * its outcome and how long fetching and writing took. Returns undefined for events that print
 * nothing. `fetched` remembers each tenant's fetch time until its result arrives.
 */
export function formatProvisionProgress(
  event: ProvisionProgressEvent,
  fetched: Map<string, number>,
): string | undefined {
  switch (event.kind) {
    case 'vault-step':
      return `vault: ${event.step} ${event.ok ? 'ok' : 'failed'} (${formatDuration(event.durationMs)})`;
    case 'tenant-fetched':
      fetched.set(event.tenantId, event.durationMs);
      return undefined;
    case 'tenant-provisioned': {
      const fetch = fetched.get(event.result.tenantId);
      const timing =
        fetch === undefined
          ? formatDuration(event.durationMs)
          : `fetch ${formatDuration(fetch)}, write ${formatDuration(event.durationMs)}`;
      return `${formatProvisionResult(event.result)} (${timing})`;
    }
  }
}

/** The closing line of a batch: `3 tenants: 1 written, 1 unchanged, 1 failed`. */
export function formatProvisionSummary(results: readonly ProvisionResult[]): string {
  const counts = new Map<string, number>();
  for (const { outcome } of results) counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
  const parts = (['written', 'unchanged', 'no-bucket', 'failed'] as const)
    .filter((outcome) => counts.has(outcome))
    .map((outcome) => `${counts.get(outcome)} ${outcome}`);
  return `${results.length} tenant${results.length === 1 ? '' : 's'}: ${parts.join(', ') || 'nothing to do'}`;
}
