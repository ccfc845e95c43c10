import type { AbortWatch } from '../api/app.js';

/** One long poll waiting for its agent to be given a task. */
export interface Waiter {
  /**
   * Resolves when woken, after `ms`, on `wakeAll`, or when `abort` (the request's signal: its
   * client went away) fires, whichever is first. The waiter itself listens on `abort` (no closure,
   * no second promise to race) and stops listening when it settles.
   */
  until(ms: number, abort?: AbortWatch): Promise<void>;
  /** Stops waiting (idempotent). */
  cancel(): void;
}

/** Bound on claims remembered until their agent acknowledges them (an agent that never polls again). */
const MAX_UNANNOUNCED = 100_000;

/**
 * One registered poll. A class, not closures: with 10,000 polls open, each waiter costs one small
 * object (and, while it waits, one timer, one promise and one abort listener: itself, through
 * `handleEvent`).
 */
class PollWaiter implements Waiter {
  woken: boolean;
  /** How many more tasks an assignment may claim for this poll (`claim: N`, minus those claimed). */
  claim: number;
  #resolve: (() => void) | undefined = undefined;
  #timer: NodeJS.Timeout | undefined = undefined;
  #abort: AbortWatch | undefined = undefined;
  readonly #owner: PollWaiters;
  readonly agentId: string;

  constructor(owner: PollWaiters, agentId: string, woken: boolean, claim: number) {
    this.#owner = owner;
    this.agentId = agentId;
    this.woken = woken;
    this.claim = claim;
  }

  until(ms: number, abort?: AbortWatch): Promise<void> {
    if (this.woken || ms <= 0 || abort?.aborted === true) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#resolve = resolve;
      this.#timer = setTimeout(PollWaiter.#timedOut, ms, this);
      if (abort !== undefined) {
        this.#abort = abort;
        abort.addEventListener('abort', this);
      }
    });
  }

  /** The request's signal aborted (its client went away): stop waiting. */
  handleEvent(): void {
    this.signal();
  }

  static #timedOut(waiter: PollWaiter): void {
    waiter.#timer = undefined;
    waiter.#settle();
  }

  /** Woken: the poll reads the store again. */
  signal(): void {
    this.woken = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#settle();
  }

  #settle(): void {
    this.#abort?.removeEventListener('abort', this);
    this.#abort = undefined;
    const resolve = this.#resolve;
    this.#resolve = undefined;
    resolve?.();
  }

  cancel(): void {
    this.#owner.remove(this);
  }
}

/**
 * The long polls waiting per agent. Register before reading the agent's tasks, then wait: an
 * assignment that lands in between still wakes the waiter, so no wake-up is lost.
 *
 * A claiming poll (`claim: N`) registers its budget: an assignment made while it waits may claim
 * the task for it (`claimFor`: assigned → running in the assignment's own transaction), and
 * `assigned` remembers the claim until the agent acknowledges it (lists the attempt in a later
 * poll's `holding`), so a claim whose answer was lost is announced again by the agent's next poll.
 */
export class PollWaiters {
  /** Per agent: its one waiting poll (the usual case), or a set when it has several. */
  readonly #waiting = new Map<string, PollWaiter | Set<PollWaiter>>();
  /** Per agent: `taskId#attempt` claimed for it that no poll has had acknowledged yet. */
  readonly #unannounced = new Map<string, Set<string>>();
  #unannouncedCount = 0;
  #closed = false;

  /** How many long polls are waiting, over all agents. */
  get size(): number {
    let n = 0;
    for (const entry of this.#waiting.values()) n += entry instanceof Set ? entry.size : 1;
    return n;
  }

  /** True once `wakeAll` ran for shutdown: new waits return at once. */
  get closed(): boolean {
    return this.#closed;
  }

  /** A waiter for `agentId`, armed now; `claim` is how many tasks an assignment may claim for it. */
  register(agentId: string, claim = 0): Waiter {
    const waiter = new PollWaiter(this, agentId, this.#closed, claim);
    const entry = this.#waiting.get(agentId);
    if (entry === undefined) this.#waiting.set(agentId, waiter);
    else if (entry instanceof Set) entry.add(waiter);
    else this.#waiting.set(agentId, new Set([entry, waiter]));
    return waiter;
  }

  /** @internal A waiter's `cancel`. */
  remove(waiter: PollWaiter): void {
    const entry = this.#waiting.get(waiter.agentId);
    if (entry === waiter) this.#waiting.delete(waiter.agentId);
    else if (entry instanceof Set && entry.delete(waiter) && entry.size === 0) {
      this.#waiting.delete(waiter.agentId);
    }
  }

  /** Wakes every long poll of `agentId`. */
  wake(agentId: string): void {
    for (const waiter of this.#of(agentId)) waiter.signal();
  }

  /** The waiting polls of `agentId` (a copy when several: waking one may remove it). */
  #of(agentId: string): readonly PollWaiter[] {
    const entry = this.#waiting.get(agentId);
    return entry === undefined ? [] : entry instanceof Set ? [...entry] : [entry];
  }

  /** Every waiting poll (a copy). */
  #all(): PollWaiter[] {
    const out: PollWaiter[] = [];
    for (const entry of this.#waiting.values()) {
      if (entry instanceof Set) out.push(...entry);
      else out.push(entry);
    }
    return out;
  }

  /**
   * True when a claiming poll of `agentId` is waiting (not yet woken) with budget left, which is
   * then spent by one: the assignment about to be made may go on to running for it.
   */
  claimFor(agentId: string): boolean {
    for (const waiter of this.#of(agentId)) {
      if (waiter.woken || waiter.claim <= 0) continue;
      waiter.claim--;
      return true;
    }
    return false;
  }

  /**
   * An assignment to `agentId` committed: wakes its polls. A task that went on to running (claimed
   * for a waiting poll) is remembered until the agent acknowledges it.
   */
  assigned(agentId: string, task: { id: string; attempt: number; status: string }): void {
    if (task.status === 'running') this.rememberClaim(agentId, task.id, task.attempt);
    this.wake(agentId);
  }

  /** Remembers a claim made for `agentId` until one of its polls lists it in `holding`. */
  rememberClaim(agentId: string, taskId: string, attempt: number): void {
    if (this.#unannouncedCount >= MAX_UNANNOUNCED) {
      this.#unannounced.clear();
      this.#unannouncedCount = 0;
    }
    let keys = this.#unannounced.get(agentId);
    if (keys === undefined) {
      keys = new Set();
      this.#unannounced.set(agentId, keys);
    }
    const key = `${taskId}#${attempt}`;
    if (!keys.has(key)) {
      keys.add(key);
      this.#unannouncedCount++;
    }
  }

  /**
   * For a claiming poll of `agentId` about to answer with its `running` tasks: the claims made for
   * the agent that it has not acknowledged (not in `held`) and that are still running. A claim the
   * agent acknowledged, or whose task moved on, is forgotten; so is every claim announced to a poll
   * without `holding` (it cannot acknowledge).
   */
  unannounced(
    agentId: string,
    running: readonly { id: string; attempt: number }[],
    held: ReadonlySet<string> | undefined,
  ): { taskId: string; attempt: number }[] {
    const keys = this.#unannounced.get(agentId);
    if (keys === undefined) return [];
    const live = new Map(running.map((task) => [`${task.id}#${task.attempt}`, task]));
    const out: { taskId: string; attempt: number }[] = [];
    for (const key of keys) {
      const task = live.get(key);
      if (task !== undefined && held?.has(key) !== true) out.push({ taskId: task.id, attempt: task.attempt });
      if (task === undefined || held === undefined || held.has(key)) {
        keys.delete(key);
        this.#unannouncedCount--;
      }
    }
    if (keys.size === 0) this.#unannounced.delete(agentId);
    return out;
  }

  /**
   * The task left the agent (finished, failed, cancelled, handed back): its claim, if remembered,
   * is over — no poll would announce it any more — and no longer counts against a poll's budget.
   */
  forgetClaim(agentId: string, taskId: string, attempt: number): void {
    const keys = this.#unannounced.get(agentId);
    if (keys === undefined || !keys.delete(`${taskId}#${attempt}`)) return;
    this.#unannouncedCount--;
    if (keys.size === 0) this.#unannounced.delete(agentId);
  }

  /**
   * How many claims made for `agentId` are not acknowledged in `held` (all of them without
   * `holding`): at least as many as `unannounced` returns, which also drops those no longer running.
   */
  unannouncedCount(agentId: string, held: ReadonlySet<string> | undefined): number {
    const keys = this.#unannounced.get(agentId);
    if (keys === undefined) return 0;
    if (held === undefined) return keys.size;
    let n = 0;
    for (const key of keys) if (!held.has(key)) n++;
    return n;
  }

  /** True when `agentId` has claims that no poll has announced yet (a claiming poll answers for them). */
  hasUnannounced(agentId: string): boolean {
    return this.#unannounced.has(agentId);
  }

  /**
   * Wakes every long poll once so that each reads the store again (the change feed may have
   * missed assignments while it reconnected); unlike `wakeAll`, later waits still wait.
   */
  recheckAll(): void {
    for (const waiter of this.#all()) waiter.signal();
  }

  /** Wakes every long poll, now and from now on (shutdown). */
  wakeAll(): void {
    this.#closed = true;
    for (const waiter of this.#all()) waiter.signal();
  }
}
