import type { Store } from '@colibri/store';
import { expiryReason } from '../explain/expiry-reason.js';
import type { Logger } from '../logger.js';
import type { DaemonMetrics } from '../metrics/daemon-metrics.js';
import type { Dispatcher } from './dispatcher.js';

/** What an expiry pass needs. */
export interface ExpiryDeps {
  readonly store: Store;
  readonly dispatcher: Pick<Dispatcher, 'explain' | 'taskNotParked'>;
  readonly logger: Logger;
  readonly clock: () => Date;
  readonly metrics: Pick<DaemonMetrics, 'taskMoved'>;
}

/** How many due tasks one transaction expires; the event loop is let through between batches. */
export const EXPIRY_BATCH = 200;

/**
 * One expiry pass: every parked task whose deadline has come is moved to `expired`, in batches of
 * one transaction each, with the reason the scheduler gives for its wait ("no capable agent within
 * 30m; missing gpu on every online agent"). A task assigned or cancelled meanwhile is left alone
 * (the store re-checks under its lock). Returns how many expired.
 */
export async function expireDueTasks(deps: ExpiryDeps): Promise<number> {
  const { store, dispatcher, logger, clock, metrics } = deps;
  let total = 0;
  for (;;) {
    const now = clock();
    const due = await store.listDueExpiries({ now, limit: EXPIRY_BATCH });
    if (due.length === 0) return total;
    const tasks = [];
    for (const task of due) {
      const waited = (task.expiresAt?.getTime() ?? now.getTime()) - task.createdAt.getTime();
      tasks.push({ taskId: task.id, reason: expiryReason(waited, await dispatcher.explain(task)) });
    }
    const expired = await store.expireTasks({ tasks, at: now });
    for (const task of expired) {
      dispatcher.taskNotParked(task.id);
      metrics.taskMoved(task.status);
    }
    if (expired.length > 0) {
      const reasons = new Map(tasks.map((t) => [t.taskId, t.reason]));
      logger.info(
        { tasks: expired.map((t) => ({ taskId: t.id, tenant: t.tenant, reason: reasons.get(t.id) })) },
        'tasks expired: still parked at their deadline',
      );
    }
    total += expired.length;
    // Fewer than a batch, or none of it could expire (taken meanwhile): the next pass reads again.
    if (due.length < EXPIRY_BATCH || expired.length === 0) return total;
    await new Promise((resolve) => setImmediate(resolve));
  }
}
