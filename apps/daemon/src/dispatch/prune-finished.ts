import type { PruneCounts, Store } from '@colibri/store';
import type { DaemonMetrics } from '../metrics/daemon-metrics.js';

/** How many finished tasks one prune transaction deletes: small, so dispatch never waits long. */
export const PRUNE_BATCH = 500;

/**
 * Deletes every finished task (and its events) that finished before `finishedBefore`, one small
 * transaction per batch, letting the event loop through between batches, and counts what went in
 * the metrics. With `dryRun` it only counts. Unfinished tasks are never touched (the store's rule).
 */
export async function pruneFinished(
  store: Store,
  metrics: Pick<DaemonMetrics, 'pruned'>,
  finishedBefore: Date,
  options: { readonly dryRun?: boolean; readonly signal?: AbortSignal } = {},
): Promise<PruneCounts> {
  if (options.dryRun) return store.countPrunable(finishedBefore);
  let tasks = 0;
  let events = 0;
  for (;;) {
    const batch = await store.pruneFinishedTasks({ finishedBefore, limit: PRUNE_BATCH });
    tasks += batch.tasks;
    events += batch.events;
    metrics.pruned(batch);
    if (batch.tasks < PRUNE_BATCH || options.signal?.aborted) return { tasks, events };
    await new Promise((resolve) => setImmediate(resolve));
  }
}
