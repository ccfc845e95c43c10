/** How the agent came to hold its agent token at start. */
export type RegistrationVia = 'stored' | 'agent' | 'join' | 'operator';

/** How a handler run ended, as the daemon is told. */
export type TaskOutcome = 'done' | 'failed';

/** What the agent reports about a task: started, its outcome, or handed back (`parked`). */
export type ReportedStatus = 'running' | TaskOutcome | 'parked';

/**
 * What the runtime reports while it works: one structured event per step, for logs (the CLI prints
 * one JSON object per line with `--json`) and for tests to wait on. Events never carry tokens,
 * payloads, results, stderr or environment values: only ids, names, codes and reasons.
 */
export type AgentEvent =
  | {
      readonly type: 'registered';
      readonly agentId: string;
      readonly name: string;
      readonly tenant: string | null;
      readonly capabilities: readonly string[];
      /** `stored`: the agent token kept in the state dir was still valid. */
      readonly via: RegistrationVia;
    }
  | {
      /** Which skills this agent offers (handler + manifest, requirements among its tags), and why not the others. */
      readonly type: 'skills';
      readonly offered: readonly string[];
      readonly declined: readonly { readonly name: string; readonly reason: string }[];
    }
  | {
      readonly type: 'capabilities-updated';
      readonly agentId: string;
      readonly capabilities: readonly string[];
    }
  | { readonly type: 'stored-token-rejected'; readonly agentId: string; readonly code: string }
  | {
      /** The daemon could not be reached (or refused for a passing reason); retried after `retryInMs`. */
      readonly type: 'connection-lost';
      readonly during: 'register' | 'poll' | 'heartbeat' | 'offline';
      readonly code: string;
      readonly message: string;
      readonly retryInMs: number;
    }
  | { readonly type: 'connection-restored'; readonly during: 'register' | 'poll' | 'heartbeat' }
  | {
      readonly type: 'task-started';
      readonly taskId: string;
      readonly attempt: number;
      readonly handler: string;
      readonly timeoutMs: number;
    }
  | {
      /** The task could not run at all (bad payload, unknown handler): it is reported failed. */
      readonly type: 'task-rejected';
      readonly taskId: string;
      readonly attempt: number;
      readonly code: string;
      readonly reason: string;
    }
  | {
      readonly type: 'task-finished';
      readonly taskId: string;
      readonly attempt: number;
      readonly outcome: TaskOutcome;
      /** Why it failed (exit code, timeout, output cap); absent when done. */
      readonly reason?: string;
      readonly code?: string;
    }
  | {
      /** A report (`running`, `done`, `failed`, `parked`) did not reach the daemon; it is kept and sent again. */
      readonly type: 'report-retry';
      readonly taskId: string;
      readonly attempt: number;
      readonly to: ReportedStatus;
      readonly code: string;
      readonly retryInMs: number;
    }
  | {
      readonly type: 'report-delivered';
      readonly taskId: string;
      readonly attempt: number;
      readonly to: ReportedStatus;
    }
  | {
      /**
       * The daemon refused a report for good: the task was re-queued, reassigned or cancelled
       * meanwhile (`COLIBRI_STALE_ATTEMPT`, `COLIBRI_ILLEGAL_TRANSITION`, …). It is dropped, never
       * sent again; a running handler for it is stopped.
       */
      readonly type: 'report-dropped';
      readonly taskId: string;
      readonly attempt: number;
      readonly to: ReportedStatus;
      readonly code: string;
      readonly reason: string;
    }
  | {
      /** The daemon refused a `done` report's result (e.g. too large); the task is reported failed instead. */
      readonly type: 'result-refused';
      readonly taskId: string;
      readonly attempt: number;
      readonly code: string;
    }
  | { readonly type: 'draining'; readonly reason: string; readonly running: number }
  | {
      /**
       * A handler stopped before its end: by the drain (its task is handed back), superseded by a
       * newer attempt, or revoked (the daemon took the task away: cancelled, re-queued, failed by
       * the operator). Its whole process group is gone when this is emitted.
       */
      readonly type: 'handler-killed';
      readonly taskId: string;
      readonly attempt: number;
      readonly why: 'drain' | 'superseded' | 'revoked';
    }
  | {
      /** The daemon says a held attempt is no longer this agent's: its handler is being killed, no report is due. */
      readonly type: 'task-revoked';
      readonly taskId: string;
      readonly attempt: number;
      /** The task's status now (`cancelled`, `parked`, …), or null when it is gone. */
      readonly status: string | null;
      readonly reason: string | null;
    }
  | {
      readonly type: 'offline';
      readonly agentId: string;
      /** Tasks handed back: re-queued for another agent. */
      readonly requeued: readonly string[];
      /** Tasks that had used their last attempt and failed instead. */
      readonly failed: readonly string[];
    }
  | {
      /** Going offline did not reach the daemon: its liveness sweep will mark the agent offline later. */
      readonly type: 'offline-failed';
      readonly agentId: string;
      readonly code: string;
      readonly message: string;
    }
  | { readonly type: 'stopped'; readonly reason: string }
  | { readonly type: 'error'; readonly during: string; readonly code: string; readonly message: string };

/** Where events go: a logger, the CLI's printer, a test's recorder. Must not throw. */
export type AgentEventSink = (event: AgentEvent) => void;
