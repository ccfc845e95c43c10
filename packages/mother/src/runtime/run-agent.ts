import type { ApiTask, HeldTask, RevokedTask, TransitionTaskRequest } from '@colibri/api';
import { type ColibriClient, createClient } from '@colibri/client';
import { ColibriError, ERROR_CODES } from '@colibri/errors';
import { offerSkills, readSkillManifests } from '../skills/read-skill-manifests.js';
import type { AgentEvent, ReportedStatus } from './agent-event.js';
import { createBackoff } from './backoff.js';
import { classifyError, errorCode, errorMessage } from './classify-error.js';
import { type AgentSession, type EstablishSessionInput, establishSession } from './establish-session.js';
import { handlerEnvironment } from './handler-environment.js';
import { parseHandlerPayload } from './parse-handler-payload.js';
import { resolveHandler } from './resolve-handler.js';
import {
  type ResolvedRunAgentOptions,
  type RunAgentOptions,
  resolveRunAgentOptions,
} from './run-agent-options.js';
import { type HandlerOutcome, runHandler } from './run-handler.js';
import { sleep } from './sleep.js';
import { lastBytes, STDERR_TAIL_BYTES, stderrKeepBytes, stderrTail } from './stderr-tail.js';

/** A running agent. */
export interface AgentRun {
  /** Settles when the agent has stopped (after a drain): resolves, or rejects with what made it give up. */
  readonly done: Promise<void>;
  /** Resolves with the agent id once registered (or resumed); rejects if it never gets there. */
  readonly ready: Promise<string>;
  /** The agent id once registered, else null. */
  readonly agentId: string | null;
  /**
   * Drains and stops: no new tasks; running handlers may finish for `drainTimeoutMs`, then are
   * killed and handed back; pending reports are delivered; then the agent goes offline. Resolves
   * when stopped (never rejects). A second call with `{ now: true }` cuts the drain short.
   */
  stop(reason?: string, options?: { now?: boolean }): Promise<void>;
}

/** One handler run this agent holds: one of its slots. */
interface LocalTask {
  readonly taskId: string;
  readonly attempt: number;
  /** Aborting kills the handler's process group; the reason says why (`drain`, `superseded`, `revoked`). */
  readonly kill: AbortController;
  /** Settles when the handler has ended and its report is queued. */
  finished: Promise<void>;
}

/** A transition this agent reports, without the attempt (added from the task). */
type Report = Omit<TransitionTaskRequest, 'attempt' | 'to'> & { readonly to: ReportedStatus };

const keyOf = (taskId: string, attempt: number) => `${taskId}#${attempt}`;

/** A daemon from before the claiming poll: `claim` is an unknown field of the poll's body to it. */
function refusedClaim(error: unknown): boolean {
  return (
    ERROR_CODES[errorCode(error) as keyof typeof ERROR_CODES] === 'invalid-input' &&
    /\bclaim\b/.test(errorMessage(error))
  );
}

/** The task's error text: the stable code first, so people and scripts can branch on it. */
const errorText = (code: string, reason: string) => `[${code}] ${reason}`;

/**
 * The mother's work loop. See {@link runAgent}.
 */
class AgentRuntime {
  readonly #options: ResolvedRunAgentOptions;
  readonly #clientFor: (token: string) => ColibriClient;
  #session: AgentSession | undefined;
  #skills: EstablishSessionInput['skills'] = { skills: [], declinedSkills: [] };
  #skillTimeouts = new Map<string, number>();
  readonly #tasks = new Map<string, LocalTask>();
  /** Tasks (`id#attempt`) with a report on its way: held, though no handler runs for them any more. */
  readonly #reporting = new Map<string, number>();
  readonly #reports = new Set<Promise<void>>();
  /** Aborted on stop: the long poll and every wait of the loop end. */
  readonly #stopping = new AbortController();
  /** Aborted at the end of the drain: reports still undelivered are abandoned. */
  readonly #giveUp = new AbortController();
  /** Aborted to cut the drain's wait for running handlers short. */
  readonly #cutDrain = new AbortController();
  /** Aborted once the heartbeat must stop (just before going offline). */
  readonly #heartbeatStop = new AbortController();
  /** Assigned tasks the poll returned while every slot was busy: held (not reported), started when one frees. */
  readonly #deferred = new Set<string>();
  /** Polls claim the tasks they return (false once a daemon from before `claim` refused it). */
  #claiming = true;
  /** Aborted to end the current long poll early (a slot freed while deferred tasks wait). */
  #pollRestart = new AbortController();
  #stopReason = 'stopped';
  #fatal: unknown;
  #stopped: Promise<void> | undefined;
  readonly done: Promise<void>;
  readonly ready: Promise<string>;
  #resolveReady!: (agentId: string) => void;
  #rejectReady!: (error: unknown) => void;

  constructor(options: RunAgentOptions) {
    this.#options = resolveRunAgentOptions(options);
    const { daemon } = this.#options;
    this.#clientFor =
      this.#options.createClient ??
      ((token) =>
        createClient({
          ...('socketPath' in daemon ? { socketPath: daemon.socketPath } : { url: daemon.url }),
          token,
        }));
    this.ready = new Promise<string>((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    // Observed here so that a caller who never awaits `ready` gets no unhandled rejection.
    this.ready.catch(() => {});
    this.done = this.#main();
    if (options.signal !== undefined) {
      if (options.signal.aborted) void this.stop('aborted');
      else options.signal.addEventListener('abort', () => void this.stop('aborted'), { once: true });
    }
  }

  get agentId(): string | null {
    return this.#session?.agentId ?? null;
  }

  stop(reason = 'stopped', options: { now?: boolean } = {}): Promise<void> {
    if (options.now === true) this.#cutDrain.abort();
    if (this.#stopped === undefined) {
      this.#stopReason = reason;
      this.#stopping.abort();
      this.#stopped = this.done.then(
        () => {},
        () => {},
      );
    }
    return this.#stopped;
  }

  #emit(event: AgentEvent): void {
    try {
      this.#options.onEvent?.(event);
    } catch {
      // A sink must not break the agent.
    }
  }

  /** Reads the handlers' skill manifests once and decides which this agent offers (its tags are fixed for the run). */
  async #readSkills(): Promise<EstablishSessionInput['skills']> {
    const offers = offerSkills(
      await readSkillManifests(this.#options.handlersDir),
      this.#options.capabilities,
    );
    this.#skillTimeouts = new Map(
      offers
        .filter((o) => o.offered && o.skill.timeoutSeconds != null)
        .map((o) => [o.skill.name, o.skill.timeoutSeconds!]),
    );
    const skills = offers.filter((o) => o.offered).map((o) => o.skill);
    const declinedSkills = offers
      .filter((o) => !o.offered)
      .map((o) => ({ name: o.skill.name, missing: o.missing, reason: o.reason ?? 'not offered' }));
    if (offers.length > 0) {
      this.#emit({
        type: 'skills',
        offered: skills.map((s) => s.name),
        declined: declinedSkills.map((d) => ({ name: d.name, reason: d.reason })),
      });
    }
    return { skills, declinedSkills };
  }

  async #main(): Promise<void> {
    let heartbeat: Promise<void> | undefined;
    try {
      this.#skills = await this.#readSkills();
      this.#session = await establishSession({
        options: this.#options,
        clientFor: this.#clientFor,
        emit: (event) => this.#emit(event),
        signal: this.#stopping.signal,
        skills: this.#skills,
      });
      if (this.#session === undefined) {
        this.#rejectReady(
          new ColibriError(
            'COLIBRI_DAEMON_UNREACHABLE',
            `the agent was stopped (${this.#stopReason}) before it could register`,
          ),
        );
        this.#emit({ type: 'stopped', reason: this.#stopReason });
        return;
      }
      this.#resolveReady(this.#session.agentId);
      heartbeat = this.#heartbeatLoop();
      await this.#pollLoop();
    } catch (error) {
      this.#fatal = error;
      this.#rejectReady(error);
      this.#emit({
        type: 'error',
        during: this.#session === undefined ? 'start' : 'run',
        code: errorCode(error),
        message: errorMessage(error),
      });
      this.#stopping.abort();
    }
    if (this.#session !== undefined) await this.#drain(heartbeat);
    this.#emit({
      type: 'stopped',
      reason: this.#fatal === undefined ? this.#stopReason : errorMessage(this.#fatal),
    });
    if (this.#fatal !== undefined) throw this.#fatal;
  }

  // ---- heartbeat ------------------------------------------------------------------------------

  /** Heartbeats on its own timer: it renews the leases of running tasks even while no poll is out. */
  async #heartbeatLoop(): Promise<void> {
    const backoff = createBackoff(this.#options.backoff);
    let lost = false;
    const stop = this.#heartbeatStop.signal;
    let waitMs = this.#options.heartbeatMs;
    while (!stop.aborted) {
      await sleep(waitMs, stop);
      const session = this.#session;
      if (stop.aborted || session === undefined) return;
      try {
        const { revoked } = await session.client.heartbeat(session.agentId, { holding: this.#holding() });
        // The backstop for a cancel that the long poll missed (e.g. while it reconnected).
        this.#revoke(revoked ?? []);
        if (lost) this.#emit({ type: 'connection-restored', during: 'heartbeat' });
        lost = false;
        backoff.reset();
        waitMs = this.#options.heartbeatMs;
      } catch (error) {
        // Retry sooner than the period while the daemon is away: a lease may be running out.
        waitMs = Math.min(this.#options.heartbeatMs, backoff.next());
        if (!lost || classifyError(error) !== 'retry') {
          this.#emit({
            type: 'connection-lost',
            during: 'heartbeat',
            code: errorCode(error),
            message: errorMessage(error),
            retryInMs: waitMs,
          });
        }
        lost = true;
      }
    }
  }

  // ---- polling --------------------------------------------------------------------------------

  #freeSlots(): number {
    return this.#options.slots - this.#tasks.size;
  }

  /**
   * Every attempt this agent holds: handlers running, reports on their way, assigned tasks waiting
   * for a slot. The long poll answers as soon as the daemon's view differs from it.
   */
  #holding(): HeldTask[] {
    const keys = new Set([...this.#tasks.keys(), ...this.#reporting.keys(), ...this.#deferred]);
    return [...keys].map((key) => {
      const at = key.lastIndexOf('#');
      return { taskId: key.slice(0, at), attempt: Number(key.slice(at + 1)) };
    });
  }

  /** Kills the handlers of attempts the daemon took away (cancelled, re-queued…); no report is due for them. */
  #revoke(revoked: readonly RevokedTask[], tasks: readonly ApiTask[] = []): number {
    let killed = 0;
    for (const entry of revoked) {
      const key = keyOf(entry.taskId, entry.attempt);
      this.#deferred.delete(key);
      const local = this.#tasks.get(key);
      if (local === undefined || local.kill.signal.aborted) continue;
      if (tasks.some((task) => task.id === entry.taskId && task.attempt > entry.attempt)) {
        // Given to us again with a newer attempt: `#take` stops this run as superseded.
        continue;
      }
      if (entry.status === 'assigned' || entry.status === 'running') {
        // The task lives on in a newer attempt (here or on another agent): this run is superseded.
        local.kill.abort('superseded');
        killed++;
        continue;
      }
      this.#emit({
        type: 'task-revoked',
        taskId: entry.taskId,
        attempt: entry.attempt,
        status: entry.status,
        reason: entry.reason,
      });
      local.kill.abort('revoked');
      killed++;
    }
    return killed;
  }

  /** A slot freed: a poll waiting only for changes ends early so that a deferred task starts now. */
  #slotFreed(): void {
    if (this.#deferred.size > 0) this.#pollRestart.abort();
  }

  /**
   * Keeps one long poll open at all times, even while every slot is busy: it says what the agent
   * holds, so the daemon answers at once when a new task is assigned or a held one is cancelled
   * (the handler is killed then, within a second of the cancel).
   */
  async #pollLoop(): Promise<void> {
    const backoff = createBackoff(this.#options.backoff);
    const stopping = this.#stopping.signal;
    let lost = false;
    while (!stopping.aborted) {
      const session = this.#session!;
      this.#pollRestart = new AbortController();
      const restart = this.#pollRestart.signal;
      let tasks: readonly ApiTask[];
      let revoked: readonly RevokedTask[];
      let claimed: readonly HeldTask[];
      try {
        // The poll claims what it returns (assigned → running in its own transaction), up to the
        // free slots: no separate `running` report. A daemon from before `claim` refuses the
        // field as unknown, once: from then on this agent polls and reports `running` as before.
        const free = this.#freeSlots();
        const claim = this.#claiming && free > 0 ? { claim: free } : {};
        ({
          tasks,
          revoked = [],
          claimed = [],
        } = await session.client.poll(session.agentId, {
          waitSeconds: this.#options.pollWaitSeconds,
          signal: AbortSignal.any([stopping, restart]),
          holding: this.#holding(),
          ...claim,
        }));
        if (lost) this.#emit({ type: 'connection-restored', during: 'poll' });
        lost = false;
        backoff.reset();
      } catch (error) {
        if (stopping.aborted) return;
        if (restart.aborted) continue;
        if (this.#claiming && refusedClaim(error)) {
          this.#claiming = false;
          continue;
        }
        const disposition = classifyError(error);
        if (disposition === 'unknown-agent') {
          // The daemon forgot us (a new database?): register again with the credential, if any.
          this.#emit({ type: 'stored-token-rejected', agentId: session.agentId, code: errorCode(error) });
          const next = await establishSession({
            options: this.#options,
            clientFor: this.#clientFor,
            emit: (event) => this.#emit(event),
            signal: stopping,
            skipStored: true,
            skills: this.#skills,
          });
          if (next === undefined) return;
          this.#session = next;
          continue;
        }
        const retryInMs = backoff.next();
        // Once per outage: the backoff keeps trying quietly until connection-restored.
        if (!lost) {
          this.#emit(
            disposition === 'retry'
              ? {
                  type: 'connection-lost',
                  during: 'poll',
                  code: errorCode(error),
                  message: errorMessage(error),
                  retryInMs,
                }
              : { type: 'error', during: 'poll', code: errorCode(error), message: errorMessage(error) },
          );
        }
        lost = true;
        await sleep(retryInMs, stopping);
        continue;
      }
      const killed = this.#revoke(revoked, tasks);
      const started = await this.#take(tasks, claimed);
      if (killed === 0 && started === 0 && this.#reports.size > 0) {
        // The answer changed nothing here: it saw a task whose report is still on its way (the
        // daemon moved it on, or it is still assigned). Wait for those reports rather than poll
        // in a hot loop.
        const over = new AbortController();
        await Promise.race([
          Promise.allSettled([...this.#reports]),
          sleep(1000, AbortSignal.any([over.signal, stopping, this.#pollRestart.signal])),
        ]);
        over.abort();
      }
    }
  }

  /**
   * Starts what the poll returned, as slots allow; returns how many it started. The attempts in
   * `claimed` are running already (the poll claimed them): they start without a `running` report.
   */
  async #take(tasks: readonly ApiTask[], claimed: readonly HeldTask[] = []): Promise<number> {
    let started = 0;
    const ours = new Set(claimed.map((held) => keyOf(held.taskId, held.attempt)));
    const offered = new Set(tasks.map((task) => keyOf(task.id, task.attempt)));
    for (const key of this.#deferred) if (!offered.has(key)) this.#deferred.delete(key);
    for (const task of tasks) {
      // A newer attempt of a task we still run: the daemon moved on, stop the old run.
      for (const local of this.#tasks.values()) {
        if (local.taskId === task.id && local.attempt < task.attempt) local.kill.abort('superseded');
      }
      const key = keyOf(task.id, task.attempt);
      if (this.#tasks.has(key) || this.#reporting.has(key)) continue;
      if (task.status === 'running' && ours.has(key)) {
        this.#deferred.delete(key);
        if (this.#stopping.signal.aborted) continue; // going offline hands it back
        if (this.#freeSlots() <= 0) {
          // Not expected (a poll claims at most the slots free when it was sent, and only polls start tasks).
          const reason = 'claimed by a poll but no slot was free: handed back';
          this.#track(this.#deliver(task, { to: 'parked', reason }));
          continue;
        }
        if (await this.#begin(task, { claimed: true })) started++;
        continue;
      }
      if (task.status === 'running') {
        // Running on the daemon but not here (this agent restarted mid-task): the run is lost, hand it back.
        const reason = 'the agent restarted mid-task: this run was lost';
        this.#track(this.#deliver(task, { to: 'parked', reason }));
        continue;
      }
      if (task.status !== 'assigned' || this.#stopping.signal.aborted) continue;
      if (this.#freeSlots() <= 0) {
        this.#deferred.add(key);
        continue;
      }
      this.#deferred.delete(key);
      if (await this.#begin(task)) started++;
    }
    return started;
  }

  // ---- running one task -----------------------------------------------------------------------

  /**
   * Checks the payload and handler, reports `running` (unless its poll `claimed` it: running
   * already), starts the handler. False when it did not start.
   */
  async #begin(task: ApiTask, how: { claimed: boolean } = { claimed: false }): Promise<boolean> {
    const key = keyOf(task.id, task.attempt);
    const local: LocalTask = {
      taskId: task.id,
      attempt: task.attempt,
      kill: new AbortController(),
      finished: Promise.resolve(),
    };
    this.#tasks.set(key, local);
    const release = () => {
      this.#tasks.delete(key);
      this.#slotFreed();
    };
    let executable: string;
    let timeoutMs: number;
    let handler: string;
    try {
      if (task.skill != null) {
        // A task that asks for a skill runs that skill's handler, within the manifest's time limit.
        handler = task.skill.name;
        const manifestSeconds = this.#skillTimeouts.get(handler);
        timeoutMs =
          manifestSeconds === undefined
            ? this.#options.handlerTimeoutMs
            : Math.min(this.#options.handlerTimeoutMs, manifestSeconds * 1000);
      } else {
        ({ handler, timeoutMs } = parseHandlerPayload(task.payload, this.#options.handlerTimeoutMs));
      }
      executable = await resolveHandler(this.#options.handlersDir, handler);
    } catch (error) {
      release();
      const code = errorCode(error);
      const reason = errorMessage(error);
      this.#emit({ type: 'task-rejected', taskId: task.id, attempt: task.attempt, code, reason });
      this.#track(this.#deliver(task, { to: 'failed', error: errorText(code, reason), result: { code } }));
      return false;
    }
    const delivered = how.claimed ? 'delivered' : await this.#deliver(task, { to: 'running' });
    if (delivered !== 'delivered') {
      release();
      return false;
    }
    this.#emit({ type: 'task-started', taskId: task.id, attempt: task.attempt, handler, timeoutMs });
    local.finished = (async () => {
      const outcome = await runHandler({
        executable,
        input: JSON.stringify(task.payload),
        env: this.#environment(task),
        cwd: this.#options.handlerCwd,
        timeoutMs,
        killGraceMs: this.#options.killGraceMs,
        maxOutputBytes: this.#options.maxOutputBytes,
        stderrTailBytes: this.#options.stderrTailBytes,
        stderrKeepBytes: stderrKeepBytes(
          this.#secrets(),
          Math.max(STDERR_TAIL_BYTES, this.#options.stderrTailBytes),
        ),
        signal: local.kill.signal,
      });
      release();
      this.#finished(task, outcome, local);
    })();
    return true;
  }

  /** What must never leave the agent in a handler's output: every `.env` value and the agent's token. */
  #secrets(): string[] {
    return [...Object.values(this.#options.environment.variables), this.#session?.token ?? ''];
  }

  #environment(task: ApiTask): Record<string, string> {
    const session = this.#session!;
    return handlerEnvironment({
      inherited: this.#options.environment.inherited,
      variables: this.#options.environment.variables,
      daemon: this.#options.daemon,
      agentToken: session.token,
      agentId: session.agentId,
      tenant: session.tenant,
      taskId: task.id,
      attempt: task.attempt,
    });
  }

  #finished(task: ApiTask, outcome: HandlerOutcome, local: LocalTask): void {
    if (outcome.status === 'aborted') {
      // Killed by a drain (the task is handed back by going offline), superseded by a newer
      // attempt or revoked (the daemon moved on, e.g. a cancel): either way no report is due.
      const reason = local.kill.signal.reason as unknown;
      const why = reason === 'superseded' || reason === 'revoked' ? reason : 'drain';
      this.#emit({ type: 'handler-killed', taskId: task.id, attempt: task.attempt, why });
      return;
    }
    // Scrubbed of every secret and escaped here, before it leaves the agent: the daemon stores it as sent.
    const tail = stderrTail(outcome.stderr, this.#secrets());
    const reported = tail === '' ? {} : { stderrTail: tail };
    if (outcome.status === 'done') {
      this.#emit({ type: 'task-finished', taskId: task.id, attempt: task.attempt, outcome: 'done' });
      this.#track(this.#deliver(task, { to: 'done', result: outcome.result, ...reported }));
      return;
    }
    this.#emit({
      type: 'task-finished',
      taskId: task.id,
      attempt: task.attempt,
      outcome: 'failed',
      reason: outcome.reason,
      code: outcome.details.code,
    });
    this.#track(
      this.#deliver(task, {
        to: 'failed',
        error: errorText(outcome.details.code, outcome.reason),
        // The result's excerpt is the same scrubbed text, never the raw bytes.
        result: { ...outcome.details, stderr: lastBytes(tail, this.#options.stderrTailBytes) },
        ...reported,
      }),
    );
  }

  /** Keeps a report in flight in the drain's view. */
  #track(report: Promise<unknown>): void {
    const tracked = report.then(
      () => {},
      () => {},
    );
    this.#reports.add(tracked);
    void tracked.finally(() => this.#reports.delete(tracked));
  }

  /**
   * Sends one report until it lands, waiting out an unreachable daemon with backoff, or the daemon
   * refuses it for good (the task moved on: dropped, never sent again). `running` reports give up
   * when the agent stops (the task is handed back instead); the others keep trying through the
   * drain. While a report is on its way the task counts as held: a poll does not start it again.
   */
  async #deliver(task: ApiTask, report: Report): Promise<'delivered' | 'dropped' | 'abandoned'> {
    const key = keyOf(task.id, task.attempt);
    this.#reporting.set(key, (this.#reporting.get(key) ?? 0) + 1);
    try {
      return await this.#send(task, report);
    } finally {
      const left = (this.#reporting.get(key) ?? 1) - 1;
      if (left > 0) this.#reporting.set(key, left);
      else this.#reporting.delete(key);
    }
  }

  async #send(task: ApiTask, report: Report): Promise<'delivered' | 'dropped' | 'abandoned'> {
    const backoff = createBackoff(this.#options.backoff);
    const signal = report.to === 'running' ? this.#stopping.signal : this.#giveUp.signal;
    let current: TransitionTaskRequest = { ...report, attempt: task.attempt };
    for (;;) {
      if (signal.aborted) return 'abandoned';
      const session = this.#session!;
      try {
        await session.client.transitionTask(task.id, current);
        this.#emit({ type: 'report-delivered', taskId: task.id, attempt: task.attempt, to: report.to });
        return 'delivered';
      } catch (error) {
        const code = errorCode(error);
        const disposition = classifyError(error);
        if (disposition === 'retry') {
          const retryInMs = backoff.next();
          this.#emit({
            type: 'report-retry',
            taskId: task.id,
            attempt: task.attempt,
            to: report.to,
            code,
            retryInMs,
          });
          await sleep(retryInMs, signal);
          continue;
        }
        if (
          current.stderrTail !== undefined &&
          ERROR_CODES[code as keyof typeof ERROR_CODES] === 'invalid-input' &&
          errorMessage(error).includes('stderrTail')
        ) {
          // A daemon from before stderr tails (an unknown field to it) or one refusing this tail:
          // the outcome matters more, so it is sent again without.
          const { stderrTail: _dropped, ...without } = current;
          current = without;
          continue;
        }
        const refusedResult =
          current.to === 'done' && ERROR_CODES[code as keyof typeof ERROR_CODES] === 'invalid-input';
        if (refusedResult) {
          // E.g. a result too large for the daemon: the task still ends, as failed, with the reason.
          this.#emit({ type: 'result-refused', taskId: task.id, attempt: task.attempt, code });
          current = {
            to: 'failed',
            attempt: task.attempt,
            error: errorText(code, `the daemon refused the handler's result: ${errorMessage(error)}`),
          };
          continue;
        }
        this.#emit({
          type: 'report-dropped',
          taskId: task.id,
          attempt: task.attempt,
          to: report.to,
          code,
          reason: errorMessage(error),
        });
        return 'dropped';
      }
    }
  }

  // ---- stopping -------------------------------------------------------------------------------

  async #drain(heartbeat: Promise<void> | undefined): Promise<void> {
    const { drainTimeoutMs } = this.#options;
    this.#emit({ type: 'draining', reason: this.#stopReason, running: this.#tasks.size });
    const handlers = () => Promise.allSettled([...this.#tasks.values()].map((t) => t.finished));
    await this.#within(handlers(), drainTimeoutMs);
    // Still running after the drain timeout: killed; going offline hands their tasks back.
    for (const local of this.#tasks.values()) local.kill.abort('drain');
    await handlers();
    const reports = Promise.allSettled([...this.#reports]);
    await this.#within(reports, drainTimeoutMs);
    this.#giveUp.abort();
    await reports;
    this.#heartbeatStop.abort();
    await heartbeat;
    await this.#goOffline();
  }

  /** Waits for `promise`, at most `ms` (or until the drain is cut short); leaves no timer behind. */
  async #within(promise: Promise<unknown>, ms: number): Promise<void> {
    const over = new AbortController();
    await Promise.race([promise, sleep(ms, AbortSignal.any([over.signal, this.#cutDrain.signal]))]);
    over.abort();
  }

  /** Offline now, handing back whatever this agent still holds (assigned or killed mid-run). */
  async #goOffline(): Promise<void> {
    const session = this.#session!;
    const backoff = createBackoff(this.#options.backoff);
    const reason = `agent ${this.#options.name} stopped (${this.#stopReason}): handed back`;
    for (let tries = 1; ; tries++) {
      try {
        const answer = await session.client.goOffline(session.agentId, { reason: reason.slice(0, 1000) });
        this.#emit({
          type: 'offline',
          agentId: session.agentId,
          requeued: answer.requeued,
          failed: answer.failed,
        });
        return;
      } catch (error) {
        if (classifyError(error) !== 'retry' || tries >= 5 || this.#cutDrain.signal.aborted) {
          this.#emit({
            type: 'offline-failed',
            agentId: session.agentId,
            code: errorCode(error),
            message: errorMessage(error),
          });
          return;
        }
        const retryInMs = backoff.next();
        this.#emit({
          type: 'connection-lost',
          during: 'offline',
          code: errorCode(error),
          message: errorMessage(error),
          retryInMs,
        });
        await sleep(retryInMs, this.#cutDrain.signal);
      }
    }
  }
}

/**
 * Runs the mother's work loop: become a known agent (stored agent token, else the join or
 * operator credential), heartbeat on a timer, long-poll for tasks, run each with its handler (at
 * most `slots` at once; each poll claims the tasks it returns, up to the free slots, so they are
 * running without a separate report), report `done`/`failed` with the task's attempt (its
 * fencing token), and keep going through daemon restarts and dropped bridges (backoff with
 * jitter; undelivered reports are kept and sent again; a report refused as stale is dropped, never
 * retried). `stop()` drains: see {@link AgentRun.stop}. Throws `COLIBRI_INVALID_INPUT` at once for
 * bad options; everything later is reported through `onEvent` and `done`.
 */
export function runAgent(options: RunAgentOptions): AgentRun {
  const runtime = new AgentRuntime(options);
  return {
    done: runtime.done,
    ready: runtime.ready,
    get agentId() {
      return runtime.agentId;
    },
    stop: (reason, stopOptions) => runtime.stop(reason, stopOptions),
  };
}
