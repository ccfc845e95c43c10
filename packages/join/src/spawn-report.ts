import type { AgentRuntime, DaemonEndpoint, JailDriver } from '@colibri/spawner';
import type { HivePort, ProvisionEnv } from './hive-port.js';

/** The steps of "join the hive", in order. */
export const SPAWN_STEPS = [
  'preflight',
  'create-jail',
  'bootstrap',
  'provision',
  'reconfigure',
  'start-agent',
  'wait-registered',
  'activate-tenant',
] as const;
export type SpawnStep = (typeof SPAWN_STEPS)[number];

/** The steps of tearing an agent down, in order. */
export const DESTROY_STEPS = ['retire-agent', 'stop-agent', 'destroy-jail', 'tenant-status'] as const;
export type DestroyStep = (typeof DESTROY_STEPS)[number];

/** How one step went. `skipped` = already in the wanted state (idempotent rerun). */
export interface StepReport<Step extends string = SpawnStep> {
  readonly step: Step;
  readonly status: 'done' | 'skipped' | 'failed';
  readonly durationMs: number;
  /** One human line, e.g. `jail acme created (uid 470001)`; names paths and ids, never a secret. */
  readonly detail: string;
}

/** One undo action taken after a failure. */
export interface RollbackAction {
  /**
   * e.g. `revoke join token`, `remove .env`, `stop agent`, `restart with the previous settings`,
   * `retire agent`, `destroy jail`, `tenant → failed`.
   */
  readonly action: string;
  readonly status: 'done' | 'failed';
  readonly detail: string;
}

/** What spawnJailedAgent did. */
export interface SpawnReport {
  readonly agentName: string;
  readonly tenant: string;
  readonly jail: string;
  readonly driver: JailDriver['kind'];
  /** `spawned` (new), `already-healthy` (nothing to do), `repaired` (an existing agent brought back). */
  readonly outcome: 'spawned' | 'already-healthy' | 'repaired';
  readonly agentId: string;
  readonly steps: readonly StepReport[];
  /**
   * What the tenant's secrets came to in this run: how many variables its `.env` got from them;
   * `none` = the tenant has no secrets (no collection, no `<tenant>.env`): the agent started with
   * only its join token; `null` = provision was skipped (healthy) or the source could not tell.
   */
  readonly tenantSecrets?: number | 'none' | null;
}

/** What destroyJailedAgent did. */
export interface DestroyReport {
  readonly agentName: string;
  readonly tenant: string;
  readonly jail: string;
  readonly outcome: 'destroyed' | 'absent';
  readonly steps: readonly StepReport<DestroyStep>[];
}

/**
 * Progress, one event per step start/finish and per rollback action (the CLI prints one line per
 * finished step with its timing).
 */
export type SpawnProgressEvent =
  | { readonly kind: 'step-started'; readonly step: SpawnStep | DestroyStep }
  | { readonly kind: 'step-finished'; readonly report: StepReport<SpawnStep | DestroyStep> }
  | { readonly kind: 'rollback'; readonly action: RollbackAction };

/**
 * A failed spawn throws a `ColibriError` with the FAILING STEP's own code (so exit codes stay
 * meaningful: a vault outage is `unavailable`, a bad name `invalid-input`, an existing jail
 * `conflict`), a message `spawn of <agent> failed at <step>: <cause>; rolled back: <actions>`,
 * and these details.
 */
export interface SpawnFailureDetails {
  readonly step: SpawnStep;
  readonly steps: readonly StepReport[];
  readonly rollback: readonly RollbackAction[];
  /** The failing step's own error details (e.g. every preflight check, the agent's log tail). */
  readonly causeDetails?: Readonly<Record<string, unknown>>;
}

export interface SpawnRequest {
  readonly agentName: string;
  readonly tenant: string;
  /** Declared capabilities; null = the agent advertises what its probe finds inside the jail. */
  readonly capabilities: readonly string[] | null;
  /** A host directory of task handlers, made visible read-only inside the jail (see `AgentLaunch.handlersDir`). */
  readonly handlersDir?: string;
  /** linux: the sandbox's network (see `AgentLaunch.network`); absent = the driver's own setting. */
  readonly network?: 'none' | 'host';
}

export interface SpawnJailedAgentOptions {
  readonly driver: JailDriver;
  readonly hive: HivePort;
  readonly provision: ProvisionEnv;
  readonly runtime: AgentRuntime;
  /** How the agent inside reaches colibrid. */
  readonly daemon: DaemonEndpoint;
  readonly request: SpawnRequest;
  /** Lifetime of the one-time join token put into `.env`. Default 600. */
  readonly joinTokenTtlSeconds?: number;
  /** How long to wait for the agent to register before rolling back. Default 60000. */
  readonly registrationTimeoutMs?: number;
  readonly onProgress?: (event: SpawnProgressEvent) => void;
}

export interface DestroyJailedAgentOptions {
  readonly driver: JailDriver;
  readonly hive: HivePort;
  readonly agentName: string;
  /** The tenant whose jail holds the agent (the CLI resolves it: --tenant, the agent's tenant, or the agent name). */
  readonly tenant: string;
  readonly onProgress?: (event: SpawnProgressEvent) => void;
}
