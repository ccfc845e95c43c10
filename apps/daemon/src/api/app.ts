import type { SpawnPolicy } from '@colibri/spawn-policy';
import type { Store } from '@colibri/store';
import type { Authenticator, Principal } from '../auth/authenticator.js';
import type { TaskDefaults, Timing } from '../config/resolve-config.js';
import type { Dispatcher } from '../dispatch/dispatcher.js';
import type { LastSeen } from '../dispatch/last-seen.js';
import type { Route } from '../http/router.js';
import type { Logger } from '../logger.js';
import type { DaemonMetrics } from '../metrics/daemon-metrics.js';
import type { SpawnService } from '../spawn/spawn-service.js';

/** What every route handler may use: the daemon's parts, built once by `createServer`. */
export interface App {
  readonly store: Store;
  readonly dispatcher: Dispatcher;
  /** Heartbeats of online agents kept in memory, flushed to the store in batches. */
  readonly lastSeen: LastSeen;
  readonly authenticator: Authenticator;
  readonly logger: Logger;
  readonly clock: () => Date;
  readonly timing: Timing;
  /** What a task's intake gets when it does not say (retries, first backoff). */
  readonly taskDefaults: TaskDefaults;
  readonly version: string;
  /** `clock()` at start, in ms. */
  readonly startedAt: number;
  /** Counters, histograms and the registry `/metrics` renders. */
  readonly metrics: DaemonMetrics;
  /** Spawns jailed agents (`POST /v1/spawn`); undefined when colibrid was started without `--spawn-driver`. */
  readonly spawner: SpawnService | undefined;
  /** What mother agents may spawn (the operator always may). */
  readonly spawnPolicy: SpawnPolicy;
  /** Spawns each mother (by agent id) has in flight: the policy counts them as children alive. */
  readonly spawnsInFlight: Map<string, number>;
  /** The default expiry of a task taken in without its own (`--expire-after`); undefined = never. */
  readonly expireAfterMs: number | undefined;
}

/**
 * The least of an abort a waiting handler needs: whether it happened, and one listener object
 * told when it does. An `AbortSignal` is one; colibrid's HTTP requests give a cheaper one.
 */
export interface AbortWatch {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: { handleEvent(): void }): void;
  removeEventListener(type: 'abort', listener: { handleEvent(): void }): void;
}

/** One request as a handler sees it: authenticated, routed, its body read (not yet validated). */
export interface RequestContext {
  readonly principal: Principal;
  readonly params: Readonly<Record<string, string>>;
  /** The query string's parameters (made when first read). */
  readonly query: URLSearchParams;
  /** The parsed JSON body, or undefined when there was none. */
  readonly body: unknown;
  /**
   * Aborted when the client goes away or the daemon stops (long polls return early). Made when
   * first read: read it only in a handler that can really be cut short.
   */
  readonly signal: AbortSignal;
  /**
   * The same abort as `signal`, without an `AbortController` behind it: what a handler that waits
   * long (a poll) listens on. Absent: use `signal`.
   */
  readonly abortWatch?: AbortWatch | undefined;
}

/**
 * `request` with other `params` (an id prefix resolved to the id). Not a spread: the daemon makes
 * a request's query and signal only when a handler reads them (most never do), and a spread would
 * read both; these getters pass the reads on.
 */
export function withParams(
  request: RequestContext,
  params: Readonly<Record<string, string>>,
): RequestContext {
  return {
    principal: request.principal,
    params,
    body: request.body,
    get query() {
      return request.query;
    },
    get signal() {
      return request.signal;
    },
    abortWatch: request.abortWatch,
  };
}

/** A handler's answer. */
export type Reply =
  | { readonly status: number; readonly body: unknown }
  | { readonly status: number; readonly text: string; readonly contentType: string };

export type Handler = (app: App, request: RequestContext) => Promise<Reply>;

export type ApiRoute = Route<Handler>;

/** A handler of a route served without a token (`/healthz`): it gets no request, so it can leak nothing of one. */
export type PublicHandler = (app: App) => Promise<Reply>;

/** A route anyone may call, without a token. */
export type PublicRoute = Route<PublicHandler>;
