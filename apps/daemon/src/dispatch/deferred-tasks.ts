/** setTimeout's longest delay; a later time is re-checked when this one fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Parked tasks waiting out a retry backoff (`notBefore`): each has one timer that hands it back to
 * the dispatcher when it is due. They stay out of the index of parked tasks meanwhile, so no agent
 * event assigns them early (the store refuses that too: `COLIBRI_TASK_NOT_DUE`). Timers are
 * unref'd: a waiting retry never keeps colibrid alive; `clear()` on close.
 */
export class DeferredTasks {
  readonly #timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  readonly #due: (taskId: string) => void;
  #closed = false;

  /** `due` is called once per deferral, when the task's time has come. */
  constructor(due: (taskId: string) => void) {
    this.#due = due;
  }

  /** How many tasks wait for their time. */
  get size(): number {
    return this.#timers.size;
  }

  /** True when `taskId` waits for its time. */
  has(taskId: string): boolean {
    return this.#timers.has(taskId);
  }

  /** Waits for `notBefore` (ms since the epoch) before handing `taskId` back; replaces an earlier deferral. */
  defer(taskId: string, notBefore: number, now: number): void {
    if (this.#closed) return;
    const known = this.#timers.get(taskId);
    if (known?.at === notBefore) return;
    if (known !== undefined) clearTimeout(known.timer);
    const timer = setTimeout(
      () => {
        this.#timers.delete(taskId);
        this.#due(taskId);
      },
      Math.min(MAX_TIMER_MS, Math.max(0, notBefore - now)),
    );
    timer.unref();
    this.#timers.set(taskId, { at: notBefore, timer });
  }

  /** The task no longer waits (assigned, cancelled, retried by hand elsewhere). */
  forget(taskId: string): void {
    const known = this.#timers.get(taskId);
    if (known === undefined) return;
    clearTimeout(known.timer);
    this.#timers.delete(taskId);
  }

  /** Drops every timer; later deferrals are ignored (colibrid is closing). */
  clear(): void {
    this.#closed = true;
    for (const { timer } of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}
