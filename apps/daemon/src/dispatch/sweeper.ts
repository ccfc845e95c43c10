import type { Store } from '@colibri/store';
import { formatDuration } from '../config/parse-duration.js';
import type { Timing } from '../config/resolve-config.js';
import type { Logger } from '../logger.js';
import type { DaemonMetrics } from '../metrics/daemon-metrics.js';
import type { Dispatcher } from './dispatcher.js';
import { expireDueTasks } from './expire-due-tasks.js';
import { type LastSeen, persistEveryMs } from './last-seen.js';
import { pruneFinished } from './prune-finished.js';

/** What the sweeper needs. */
export interface SweeperDeps {
  readonly store: Store;
  readonly dispatcher: Dispatcher;
  /** Heartbeats kept in memory: liveness reads them, the flush timer writes them. */
  readonly lastSeen: LastSeen;
  readonly logger: Logger;
  readonly clock: () => Date;
  readonly timing: Timing;
  /** Counts the attempts a pass ends (requeued, failed, expired) and the rows retention prunes. */
  readonly metrics: Pick<DaemonMetrics, 'taskMoved' | 'pruned'>;
  /** Finished tasks older than this are pruned (`--retain`); undefined = kept forever. */
  readonly retainMs?: number | undefined;
}

/** How often parked tasks' deadlines are checked: an indexed read of the due ones only. */
export const EXPIRY_INTERVAL_MS = 1000;

/** How often retention prunes: with the safety sweep (each pass is small batches of an indexed read). */
export function retentionIntervalMs(timing: Timing): number {
  return timing.sweepIntervalMs;
}

/**
 * How often liveness and leases are checked: a quarter of the shorter of TTL and lease, so an
 * agent goes offline at most ~25% late; never more often than every 100 ms nor less often than
 * the safety sweep.
 */
export function livenessIntervalMs(timing: Timing): number {
  const quarter = Math.floor(Math.min(timing.heartbeatTtlMs, timing.leaseMs) / 4);
  return Math.max(100, Math.min(quarter, timing.sweepIntervalMs));
}

/**
 * The daemon's clocks: the liveness check (silent agents go offline, lapsed leases are re-queued,
 * their tasks dispatched again), the flush of heartbeats kept in memory (every half
 * {@link persistEveryMs}), the slow safety sweep, the expiry check (parked tasks past their deadline
 * expire) and, with `--retain`, retention. Each runs on a timer chained after the previous pass, so
 * passes never overlap.
 */
export class Sweeper {
  readonly #deps: SweeperDeps;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #running = new Set<Promise<void>>();
  #stopped = false;

  constructor(deps: SweeperDeps) {
    this.#deps = deps;
  }

  /** Starts both timers. */
  start(): void {
    this.#every('liveness', livenessIntervalMs(this.#deps.timing), () => this.checkLiveness());
    this.#every(
      'heartbeat flush',
      Math.max(25, Math.floor(persistEveryMs(this.#deps.timing) / 2)),
      async () => {
        await this.#deps.lastSeen.flush();
      },
    );
    this.#every('sweep', this.#deps.timing.sweepIntervalMs, async () => {
      const assigned = await this.#deps.dispatcher.sweep();
      if (assigned > 0)
        this.#deps.logger.warn({ assigned }, 'safety sweep assigned parked tasks that were missed');
    });
    this.#every('expiry', EXPIRY_INTERVAL_MS, async () => {
      await expireDueTasks(this.#deps);
    });
    const retainMs = this.#deps.retainMs;
    if (retainMs !== undefined) {
      this.#every('retention', retentionIntervalMs(this.#deps.timing), () => this.prune(retainMs));
    }
  }

  /** One retention pass: prunes finished tasks older than `retainMs`, in small batches. */
  async prune(retainMs: number): Promise<void> {
    const { store, metrics, logger, clock } = this.#deps;
    const finishedBefore = new Date(clock().getTime() - retainMs);
    const pruned = await pruneFinished(store, metrics, finishedBefore);
    if (pruned.tasks > 0) {
      logger.info(
        { ...pruned, finishedBefore: finishedBefore.toISOString() },
        `retention: pruned tasks finished more than ${formatDuration(retainMs)} ago`,
      );
    }
  }

  /** Stops the timers, waits for a pass in progress, then writes every heartbeat still in memory. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    await Promise.allSettled([...this.#running]);
    try {
      await this.#deps.lastSeen.flush({ all: true });
    } catch (error) {
      // The next start gives every agent a fresh TTL: nothing is declared offline for this.
      this.#deps.logger.warn({ err: error }, 'heartbeats kept in memory were not written at stop');
    }
  }

  /** One liveness pass: agents silent past TTL + grace go offline; lapsed leases are re-queued. */
  async checkLiveness(): Promise<void> {
    const { store, dispatcher, lastSeen, logger, clock, timing, metrics } = this.#deps;
    const now = clock();
    const silentSince = new Date(now.getTime() - timing.heartbeatTtlMs - timing.graceMs);
    const reason = `no heartbeat for ${formatDuration(timing.heartbeatTtlMs + timing.graceMs)} (ttl ${formatDuration(timing.heartbeatTtlMs)} + grace ${formatDuration(timing.graceMs)})`;
    for (const agent of await store.listAgents({ status: ['idle', 'active'] })) {
      // Memory first: an idle agent's heartbeats reach the store only every few seconds.
      if (lastSeen.lastSign(agent) >= silentSince) continue;
      const result = await store.markAgentOffline(agent.id, { at: now, reason, silentSince });
      if (result.agent.status !== 'offline') continue;
      for (const task of [...result.requeued, ...result.failed]) metrics.taskMoved(task.status);
      logger.info(
        {
          agentId: agent.id,
          agent: agent.name,
          requeued: result.requeued.map((t) => t.id),
          failed: result.failed.map((t) => t.id),
        },
        `agent offline: ${reason}`,
      );
      await dispatcher.agentWentOffline(result);
    }
    const expired = await store.requeueExpiredLeases(now);
    for (const task of expired) metrics.taskMoved(task.status);
    if (expired.length > 0) {
      logger.info(
        { tasks: expired.map((t) => ({ taskId: t.id, status: t.status, attempt: t.attempt })) },
        'leases expired: tasks re-queued',
      );
      await dispatcher.leasesExpired(expired);
    }
  }

  #every(name: string, intervalMs: number, pass: () => Promise<void>): void {
    const schedule = () => {
      if (this.#stopped) return;
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        const run = pass()
          .catch((error: unknown) =>
            this.#deps.logger.error({ err: error, pass: name }, `${name} pass failed`),
          )
          .finally(() => {
            this.#running.delete(run);
            schedule();
          });
        this.#running.add(run);
      }, intervalMs);
      this.#timers.add(timer);
    };
    schedule();
  }
}
