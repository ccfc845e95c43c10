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

/** One request as a handler sees it: authenticated, routed, its body read (not yet validated). */
export interface RequestContext {
  readonly principal: Principal;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** The parsed JSON body, or undefined when there was none. */
  readonly body: unknown;
  /** Aborted when the client goes away or the daemon stops (long polls return early). */
  readonly signal: AbortSignal;
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
