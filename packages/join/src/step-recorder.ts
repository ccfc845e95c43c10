import type { DestroyStep, SpawnProgressEvent, SpawnStep, StepReport } from './spawn-report.js';

/** What a step's body returns: a detail line when it did something, `{ skipped }` when there was nothing to do. */
export type StepOutcome = string | { readonly skipped: string };

/** A step's failure, carrying which step it was; the chain turns it into the error it throws. */
export class StepFailure extends Error {
  constructor(
    readonly step: SpawnStep | DestroyStep,
    readonly error: unknown,
  ) {
    super(`step ${step} failed`);
    this.name = 'StepFailure';
  }
}

/**
 * Runs the steps of a chain one at a time, timing each with the monotonic clock (the VM's wall
 * clock may jump), keeping one {@link StepReport} per step and emitting a progress event at each
 * start and finish. Every detail line goes through `scrub` first, so a secret the chain learnt
 * on the way (the join token) can never reach a report.
 */
export class StepRecorder<Step extends SpawnStep | DestroyStep> {
  readonly #steps: StepReport<Step>[] = [];
  readonly #onProgress: ((event: SpawnProgressEvent) => void) | undefined;
  readonly #scrub: (text: string) => string;

  constructor(
    onProgress: ((event: SpawnProgressEvent) => void) | undefined,
    scrub: (text: string) => string,
  ) {
    this.#onProgress = onProgress;
    this.#scrub = scrub;
  }

  /** The reports so far, in order (a copy). */
  get steps(): readonly StepReport<Step>[] {
    return [...this.#steps];
  }

  /** Records a step that had nothing to do, with why. */
  skip(step: Step, why: string): void {
    this.#emit({ kind: 'step-started', step });
    this.#finish({ step, status: 'skipped', durationMs: 0, detail: this.#scrub(why) });
  }

  /**
   * Runs `body` as `step`. A throw is recorded as the step's failure (its message as the detail)
   * and rethrown as a {@link StepFailure} naming the step.
   */
  async run(step: Step, body: () => Promise<StepOutcome>): Promise<void> {
    this.#emit({ kind: 'step-started', step });
    const started = performance.now();
    const elapsed = () => Math.max(0, Math.round(performance.now() - started));
    let outcome: StepOutcome;
    try {
      outcome = await body();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.#finish({ step, status: 'failed', durationMs: elapsed(), detail: this.#scrub(message) });
      throw new StepFailure(step, error);
    }
    this.#finish(
      typeof outcome === 'string'
        ? { step, status: 'done', durationMs: elapsed(), detail: this.#scrub(outcome) }
        : { step, status: 'skipped', durationMs: elapsed(), detail: this.#scrub(outcome.skipped) },
    );
  }

  #finish(report: StepReport<Step>): void {
    const frozen = Object.freeze(report);
    this.#steps.push(frozen);
    this.#emit({ kind: 'step-finished', report: frozen });
  }

  #emit(event: SpawnProgressEvent): void {
    try {
      this.#onProgress?.(event);
    } catch {
      // A broken progress printer must not break (or half-roll-back) a spawn.
    }
  }
}
