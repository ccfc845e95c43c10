import type { ColibriClient } from '@colibri/client';
import { ColibriError } from '@colibri/errors';
import { MAX_AGENT_SLOTS } from '@colibri/protocol';
import type { DaemonAddress } from '../identity/agent-identity.js';
import type { AgentEventSink } from './agent-event.js';
import type { BackoffOptions } from './backoff.js';
import type { TokenStore } from './token-store.js';

/**
 * What the agent presents when it has no stored agent token (or the daemon no longer knows it):
 * - `join`: a one-time join token (from the `.env`); it registers the agent into the token's tenant.
 * - `operator`: the operator token; it registers the agent (shared unless a tenant is given).
 * - `agent`: an agent token issued earlier, with its agent id; nothing is registered.
 */
export type AgentCredential =
  | { readonly kind: 'join' | 'operator'; readonly token: string }
  | { readonly kind: 'agent'; readonly token: string; readonly agentId: string };

/** Everything `runAgent` needs, resolved by the app (no environment or argv is read here). */
export interface RunAgentOptions {
  /** The agent's name, unique in the hive. */
  readonly name: string;
  /** Its tenant; null = a shared lane (or the join token's tenant, which the daemon forces). */
  readonly tenant: string | null;
  /** The tags it advertises (already probed and combined). */
  readonly capabilities: readonly string[];
  /** The host it runs on, for people. */
  readonly host?: string | null;
  /** Where the daemon is: clients are built for it, and handlers are told (COLIBRI_SOCKET / COLIBRI_URL). */
  readonly daemon: DaemonAddress;
  /** Builds a client presenting `token`. Default: `createClient` of @colibri/client for `daemon`. */
  readonly createClient?: (token: string) => ColibriClient;
  /** Used when no stored agent token works. Undefined: only a stored agent token will do. */
  readonly credential?: AgentCredential;
  /** Where the agent token is kept across restarts (see `fileTokenStore`). */
  readonly tokenStore: TokenStore;
  /** Where handlers live: `<handlersDir>/<payload.handler>`. Absolute. */
  readonly handlersDir: string;
  /** Working directory of handler processes. Default `handlersDir`. */
  readonly handlerCwd?: string;
  /** What handlers see besides the COLIBRI_* facts of their run. */
  readonly environment: {
    /** The agent's environment: only PATH, HOME and LANG are passed on. */
    readonly inherited: Readonly<Record<string, string | undefined>>;
    /** The `.env` variables (the tenant's secrets). */
    readonly variables: Readonly<Record<string, string>>;
  };
  /** Tasks held and run at once (its slots, registered with the daemon), 1 to `MAX_AGENT_SLOTS`. Default 1. */
  readonly slots?: number;
  /** Between heartbeats, in ms. Default 10 000 (the daemon's default TTL is 30 s). */
  readonly heartbeatMs?: number;
  /** How long one long poll waits, in seconds (1-60). Default 25. */
  readonly pollWaitSeconds?: number;
  /** The longest a handler may run, in ms; a payload's `timeoutSeconds` may only lower it. Default 60 000. */
  readonly handlerTimeoutMs?: number;
  /** Between SIGTERM and SIGKILL of a handler's process group, in ms. Default 2000. */
  readonly killGraceMs?: number;
  /** The most stdout a handler may write, in bytes. Default 1 MiB. */
  readonly maxOutputBytes?: number;
  /**
   * How much of a failed handler's stderr its result quotes (`result.stderr`), in bytes. Default 4096.
   * Every outcome also reports the last 64 KiB as `stderrTail`; both are scrubbed of the `.env` values first.
   */
  readonly stderrTailBytes?: number;
  /** On stop: how long running handlers may finish, then how long their reports may take, in ms. Default 30 000. */
  readonly drainTimeoutMs?: number;
  /** Reconnect backoff. Default 200 ms doubling to 10 s, with jitter. */
  readonly backoff?: BackoffOptions;
  /** Receives every event (see `AgentEvent`). Default: dropped. */
  readonly onEvent?: AgentEventSink;
  /** Aborting it is `stop('aborted')`. */
  readonly signal?: AbortSignal;
}

/** The options with every default filled in. */
export type ResolvedRunAgentOptions = Required<
  Pick<
    RunAgentOptions,
    | 'slots'
    | 'heartbeatMs'
    | 'pollWaitSeconds'
    | 'handlerTimeoutMs'
    | 'killGraceMs'
    | 'maxOutputBytes'
    | 'stderrTailBytes'
    | 'drainTimeoutMs'
    | 'handlerCwd'
  >
> &
  RunAgentOptions;

const LIMITS = {
  slots: [1, MAX_AGENT_SLOTS],
  heartbeatMs: [10, 3_600_000],
  pollWaitSeconds: [1, 60],
  handlerTimeoutMs: [1, 86_400_000],
  killGraceMs: [0, 600_000],
  maxOutputBytes: [1, 64 * 1024 * 1024],
  stderrTailBytes: [0, 1024 * 1024],
  drainTimeoutMs: [0, 86_400_000],
} as const satisfies Record<string, readonly [number, number]>;

/**
 * Fills in defaults and checks every number once, at the boundary: a bad value throws
 * `COLIBRI_INVALID_INPUT` naming the option and its range.
 */
export function resolveRunAgentOptions(options: RunAgentOptions): ResolvedRunAgentOptions {
  const resolved = {
    ...options,
    slots: options.slots ?? 1,
    heartbeatMs: options.heartbeatMs ?? 10_000,
    pollWaitSeconds: options.pollWaitSeconds ?? 25,
    handlerTimeoutMs: options.handlerTimeoutMs ?? 60_000,
    killGraceMs: options.killGraceMs ?? 2000,
    maxOutputBytes: options.maxOutputBytes ?? 1024 * 1024,
    stderrTailBytes: options.stderrTailBytes ?? 4096,
    drainTimeoutMs: options.drainTimeoutMs ?? 30_000,
    handlerCwd: options.handlerCwd ?? options.handlersDir,
  };
  for (const [name, [min, max]] of Object.entries(LIMITS)) {
    const value = resolved[name as keyof typeof LIMITS];
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new ColibriError(
        'COLIBRI_INVALID_INPUT',
        `runAgent: ${name} must be a whole number from ${min} to ${max}, got ${String(value)}`,
        { field: name },
      );
    }
  }
  if (typeof options.handlersDir !== 'string' || !options.handlersDir.startsWith('/')) {
    throw new ColibriError(
      'COLIBRI_INVALID_INPUT',
      `runAgent: handlersDir must be an absolute path, got ${JSON.stringify(options.handlersDir)}`,
      { field: 'handlersDir' },
    );
  }
  return Object.freeze(resolved);
}
