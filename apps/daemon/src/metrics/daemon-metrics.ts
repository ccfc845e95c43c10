import type { AgentStatus, TaskStatus } from '@colibri/protocol';
import { Counter, collectDefaultMetrics, Gauge, Histogram as PromHistogram, Registry } from 'prom-client';
import { type Histogram, LATENCY_BUCKETS } from './histogram.js';

/** What a scrape reads from the store and the dispatcher, at scrape time. */
export interface HiveSnapshot {
  readonly uptimeSeconds: number;
  readonly agents: Readonly<Record<AgentStatus, number>>;
  readonly tasks: Readonly<Record<TaskStatus, number>>;
  /** Parked tasks per required tag that no eligible online agent offers. */
  readonly parkedByMissingTag: ReadonlyMap<string, number>;
  /** Long polls waiting on this daemon for their agent to be given a task. */
  readonly waitingPolls: number;
  /** Write transactions this daemon's store has committed since it opened. */
  readonly storeCommits: number;
  /** Write operations those commits carried (more than the commits when SQLite groups them). */
  readonly storeWrites: number;
}

/** How an attempt of a task ended, as this daemon committed it. */
export type TaskOutcome = 'done' | 'failed' | 'cancelled' | 'expired' | 'requeued';

/**
 * colibrid's Prometheus metrics, on a registry of its own (never prom-client's global one: several
 * servers may live in one process): counters of what this daemon did, the dispatch latency
 * histograms, gauges of the hive read at scrape time, and prom-client's default process and
 * event-loop metrics.
 */
export class DaemonMetrics {
  /** The registry `/metrics` renders. */
  readonly registry = new Registry();
  /** Intake → assignment, observed by the dispatcher. */
  readonly assignLatency: Histogram;
  /** Assignment → the agent's poll returning it, observed by the dispatcher. */
  readonly deliverLatency: Histogram;
  readonly #requests: Counter<'method' | 'route' | 'code'>;
  readonly #aborts: Counter<'method' | 'route'>;
  readonly #outcomes: Counter<'outcome'>;
  readonly #pruned: Counter<'kind'>;
  readonly #uptime: Gauge;
  readonly #agents: Gauge<'status'>;
  readonly #tasks: Gauge<'status'>;
  readonly #waitingPolls: Gauge;
  readonly #parkedByTag: Gauge<'tag'>;
  readonly #storeCommits: Counter;
  #storeCommitsSeen = 0;
  readonly #storeWrites: Counter;
  #storeWritesSeen = 0;

  constructor(version: string) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'colibri_build_info',
      help: 'The running colibrid version.',
      labelNames: ['version'],
      registers,
    }).set({ version }, 1);
    this.#uptime = new Gauge({
      name: 'colibri_uptime_seconds',
      help: 'Seconds since this colibrid started.',
      registers,
    });
    this.#agents = new Gauge({
      name: 'colibri_agents',
      help: 'Agents by status.',
      labelNames: ['status'],
      registers,
    });
    this.#tasks = new Gauge({
      name: 'colibri_tasks',
      help: 'Tasks by status.',
      labelNames: ['status'],
      registers,
    });
    this.#waitingPolls = new Gauge({
      name: 'colibri_long_polls_waiting',
      help: 'Long polls waiting on this colibrid for their agent to be given a task.',
      registers,
    });
    this.#parkedByTag = new Gauge({
      name: 'colibri_parked_tasks_missing_tag',
      help: 'Parked tasks per required tag that no eligible online agent offers.',
      labelNames: ['tag'],
      registers,
    });
    const latency = new PromHistogram({
      name: 'colibri_dispatch_latency_seconds',
      help: 'Dispatch latency: intake to assignment (stage="assign"), assignment to the agent receiving it from a poll (stage="deliver").',
      labelNames: ['stage'],
      buckets: [...LATENCY_BUCKETS],
      registers,
    });
    latency.zero({ stage: 'assign' });
    latency.zero({ stage: 'deliver' });
    this.assignLatency = latency.labels({ stage: 'assign' });
    this.deliverLatency = latency.labels({ stage: 'deliver' });
    this.#requests = new Counter({
      name: 'colibri_http_requests_total',
      help: 'HTTP requests answered by this colibrid, by method, route pattern ("-" when none matched) and status code.',
      labelNames: ['method', 'route', 'code'],
      registers,
    });
    this.#aborts = new Counter({
      name: 'colibri_http_client_aborts_total',
      help: 'Requests whose client hung up before the answer was delivered (mid-body, or while waiting).',
      labelNames: ['method', 'route'],
      registers,
    });
    this.#outcomes = new Counter({
      name: 'colibri_task_outcomes_total',
      help: 'Attempts of tasks that this colibrid ended: done, failed, cancelled, expired (still parked at its deadline), or requeued (lease lapsed, agent offline or retired, handed back).',
      labelNames: ['outcome'],
      registers,
    });
    this.#storeCommits = new Counter({
      name: 'colibri_store_commits_total',
      help: 'Write transactions this colibrid committed to its store (each one a commit: an fsync on SQLite).',
      registers,
    });
    this.#storeWrites = new Counter({
      name: 'colibri_store_writes_total',
      help: 'Write operations those commits carried: on SQLite writes asked for together share one commit (group commit), so writes ÷ commits is the mean group size.',
      registers,
    });
    // Every series exists from the start, so a rate() over a fresh daemon is 0, not absent.
    for (const outcome of ['done', 'failed', 'cancelled', 'expired', 'requeued'] as const)
      this.#outcomes.inc({ outcome }, 0);
    this.#pruned = new Counter({
      name: 'colibri_pruned_rows_total',
      help: 'Rows this colibrid deleted by retention (--retain) or colibri prune: finished tasks (kind="tasks") and their events (kind="events").',
      labelNames: ['kind'],
      registers,
    });
    for (const kind of ['tasks', 'events'] as const) this.#pruned.inc({ kind }, 0);
  }

  /** One prune batch's deleted rows. */
  pruned(counts: { readonly tasks: number; readonly events: number }): void {
    this.#pruned.inc({ kind: 'tasks' }, counts.tasks);
    this.#pruned.inc({ kind: 'events' }, counts.events);
  }

  /** One answered request. */
  request(method: string, route: string, code: number): void {
    this.#requests.inc({ method, route, code: String(code) });
  }

  /** One request whose client went away before it got its answer. */
  clientAbort(method: string, route: string): void {
    this.#aborts.inc({ method, route });
  }

  /** One task's state after a change this daemon committed: counts it when it ends an attempt. */
  taskMoved(status: TaskStatus): void {
    const outcome: TaskOutcome | undefined =
      status === 'parked'
        ? 'requeued'
        : status === 'done' || status === 'failed' || status === 'cancelled' || status === 'expired'
          ? status
          : undefined;
    if (outcome !== undefined) this.#outcomes.inc({ outcome });
  }

  /** The text exposition, with the hive's gauges set from `snapshot`. */
  async render(snapshot: HiveSnapshot): Promise<string> {
    this.#uptime.set(snapshot.uptimeSeconds);
    for (const [status, n] of Object.entries(snapshot.agents)) this.#agents.set({ status }, n);
    for (const [status, n] of Object.entries(snapshot.tasks)) this.#tasks.set({ status }, n);
    this.#waitingPolls.set(snapshot.waitingPolls);
    this.#storeCommits.inc(Math.max(0, snapshot.storeCommits - this.#storeCommitsSeen));
    this.#storeCommitsSeen = Math.max(this.#storeCommitsSeen, snapshot.storeCommits);
    this.#storeWrites.inc(Math.max(0, snapshot.storeWrites - this.#storeWritesSeen));
    this.#storeWritesSeen = Math.max(this.#storeWritesSeen, snapshot.storeWrites);
    // A tag no longer missing must disappear, not keep its last count.
    this.#parkedByTag.reset();
    for (const [tag, n] of snapshot.parkedByMissingTag) this.#parkedByTag.set({ tag }, n);
    return this.registry.metrics();
  }

  /** The exposition's content type. */
  get contentType(): string {
    return this.registry.contentType;
  }
}
