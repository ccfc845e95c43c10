import type { AgentRecord, HeartbeatWrite, Store } from '@colibri/store';
import type { Timing } from '../config/resolve-config.js';
import type { Logger } from '../logger.js';

/** At most this many agents' heartbeats go into one flush transaction. */
const FLUSH_BATCH = 500;

/** What {@link LastSeen} needs. */
export interface LastSeenDeps {
  readonly store: Pick<Store, 'recordHeartbeats'>;
  readonly clock: () => Date;
  readonly timing: Pick<Timing, 'heartbeatTtlMs' | 'leaseMs'>;
  readonly logger: Pick<Logger, 'warn'>;
}

/**
 * How often an agent's last-seen time reaches the store at most: a third of the shorter of TTL and
 * lease, so the stored time (what other daemons and a restarted one read) is never more than about
 * half of either behind, and leases renewed with it never lapse while the agent beats.
 */
export function persistEveryMs(timing: Pick<Timing, 'heartbeatTtlMs' | 'leaseMs'>): number {
  return Math.max(50, Math.floor(Math.min(timing.heartbeatTtlMs, timing.leaseMs) / 3));
}

/**
 * Heartbeats of online agents kept in memory: an idle agent's heartbeat costs no commit. Liveness
 * is decided from the later of the stored and the remembered time; `flush` writes what is due to
 * the store in batched transactions (at most once per agent per {@link persistEveryMs}), with the
 * agent's leases extended from the time it was seen.
 *
 * A daemon that restarts (or is killed) loses what it had not flushed, so at `start` every agent
 * gets a fresh TTL from that moment: no agent is declared offline because this memory was lost.
 */
export class LastSeen {
  readonly #deps: LastSeenDeps;
  /** Agent id → ms it was last seen, not yet in the store. */
  readonly #pending = new Map<string, number>();
  /** Agent id → ms of the newest sign of life this daemon knows of (memory or store). */
  readonly #latest = new Map<string, number>();
  /** Agent id → ms this daemon last wrote its heartbeat to the store. */
  readonly #persistedAt = new Map<string, number>();
  #startedAt = Number.NEGATIVE_INFINITY;

  constructor(deps: LastSeenDeps) {
    this.#deps = deps;
  }

  /** From now, every agent counts as seen at this moment at the least (a fresh TTL after a restart). */
  start(): void {
    this.#startedAt = this.#deps.clock().getTime();
  }

  /** `agentId` was seen at `at`, kept in memory until a flush. */
  seen(agentId: string, at: Date): void {
    const ms = at.getTime();
    if ((this.#latest.get(agentId) ?? Number.NEGATIVE_INFINITY) >= ms) return;
    this.#latest.set(agentId, ms);
    this.#pending.set(agentId, ms);
  }

  /** `agentId`'s heartbeat at `at` was just written to the store by someone else (a write-through). */
  persisted(agentId: string, at: Date): void {
    const ms = at.getTime();
    this.#persistedAt.set(agentId, ms);
    if ((this.#latest.get(agentId) ?? Number.NEGATIVE_INFINITY) < ms) this.#latest.set(agentId, ms);
    if ((this.#pending.get(agentId) ?? Number.POSITIVE_INFINITY) <= ms) this.#pending.delete(agentId);
  }

  /** The agent left the hive (retired): nothing more to write for it. */
  forget(agentId: string): void {
    this.#pending.delete(agentId);
    this.#latest.delete(agentId);
    this.#persistedAt.delete(agentId);
  }

  /**
   * The agent's last sign of life as this daemon knows it: the later of the store's heartbeat (or
   * registration), what it remembers, and this daemon's start.
   */
  lastSign(agent: AgentRecord): Date {
    const stored = (agent.lastHeartbeatAt ?? agent.registeredAt).getTime();
    const remembered = this.#latest.get(agent.id) ?? Number.NEGATIVE_INFINITY;
    return new Date(Math.max(stored, remembered, this.#startedAt));
  }

  /** The agent with its last-seen time as this daemon knows it (for answers). */
  view(agent: AgentRecord): AgentRecord {
    const remembered = this.#latest.get(agent.id);
    if (remembered === undefined || (agent.lastHeartbeatAt?.getTime() ?? -1) >= remembered) return agent;
    return Object.freeze({ ...agent, lastHeartbeatAt: new Date(remembered) });
  }

  /** Heartbeats kept in memory and not yet written. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /**
   * Writes the remembered heartbeats that are due (each agent at most once per
   * {@link persistEveryMs}; with `all`, every one, as at shutdown) in transactions of up to 500
   * agents, extending each agent's leases to its last-seen time plus the lease. Returns how many
   * were written.
   */
  async flush(options: { all?: boolean } = {}): Promise<number> {
    const now = this.#deps.clock().getTime();
    const every = persistEveryMs(this.#deps.timing);
    const due: HeartbeatWrite[] = [];
    for (const [agentId, ms] of this.#pending) {
      const last = this.#persistedAt.get(agentId) ?? Number.NEGATIVE_INFINITY;
      if (options.all !== true && now - last < every) continue;
      due.push({
        agentId,
        at: new Date(ms),
        extendLeasesUntil: new Date(ms + this.#deps.timing.leaseMs),
      });
    }
    let written = 0;
    for (let from = 0; from < due.length; from += FLUSH_BATCH) {
      const batch = due.slice(from, from + FLUSH_BATCH);
      await this.#deps.store.recordHeartbeats(batch);
      for (const beat of batch) {
        this.#persistedAt.set(beat.agentId, now);
        // A newer beat that arrived during the write stays pending.
        if (this.#pending.get(beat.agentId) === beat.at.getTime()) this.#pending.delete(beat.agentId);
      }
      written += batch.length;
    }
    return written;
  }
}
