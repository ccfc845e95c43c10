import type { TenantStatus } from '@colibri/protocol';
import type { JailOwner } from '@colibri/spawner';

/** A tenant as the join chain needs it. */
export interface HiveTenant {
  readonly tenant: string;
  readonly jail: string;
  /** The collection NAME its `.env` comes from; null = no bucket (the `.env` then holds only the join token). */
  readonly collection: string | null;
  readonly collectionId: string | null;
  readonly status: TenantStatus;
}

/** An agent as the join chain needs it. */
export interface HiveAgent {
  readonly id: string;
  readonly name: string;
  readonly tenant: string | null;
  readonly status: 'idle' | 'active' | 'offline';
  /**
   * When the daemon last heard from it (registration or heartbeat), as the daemon's own timestamp.
   * The join chain compares it before and after restarting a stopped agent that is still listed as
   * online (its TTL has not run out yet): only a change proves the new process came back. Undefined
   * when the port cannot tell (the chain then trusts `status`).
   */
  readonly lastSeenAt?: string | null;
}

/**
 * What the join chain needs from colibrid. The CLI implements it over `@colibri/client`, the daemon
 * over its own store; both map errors to `ColibriError`s with their stable codes.
 */
export interface HivePort {
  /** `COLIBRI_TENANT_NOT_FOUND` when absent. */
  getTenant(tenant: string): Promise<HiveTenant>;
  /** The (non-retired) agent of that exact name, or undefined. */
  findAgent(name: string): Promise<HiveAgent | undefined>;
  /** A one-time join token for the tenant, valid `ttlSeconds`. */
  createJoinToken(tenant: string, ttlSeconds: number): Promise<{ token: string; expiresAt: string }>;
  /** Makes an unused join token unusable (rollback). Unknown or used tokens: no-op. */
  revokeJoinToken(token: string): Promise<void>;
  /**
   * Retires an agent: its token stops working, it goes offline, its unfinished tasks are handed
   * back, its name becomes free. Idempotent.
   */
  retireAgent(agentId: string, reason: string): Promise<void>;
  /** Moves the tenant along a legal edge with a reason for its event log. Same status: no-op. */
  setTenantStatus(tenant: string, status: TenantStatus, reason: string): Promise<void>;
}

/** One `.env` to provision: the app wires this to `@colibri/vault` (provisionTenants + its writer). */
export interface ProvisionRequest {
  readonly tenant: HiveTenant;
  /** Where `.env` goes and who owns it (from the driver). */
  readonly jailHome: string;
  readonly allowedRoot: string;
  readonly owner: JailOwner;
  /** Added to the tenant's secrets, e.g. `{ COLIBRI_JOIN_TOKEN: … }`; never logged. */
  readonly extraVariables: Readonly<Record<string, string>>;
}

export interface ProvisionOutcome {
  /**
   * `no-bucket`: the tenant has no collection and nothing extra was asked for, so no `.env` was
   * written (`path` is where it would be).
   */
  readonly outcome: 'written' | 'unchanged' | 'no-bucket';
  readonly path: string;
  /** How many variables the file holds (extra ones included). */
  readonly variables: number;
  /**
   * What came from the tenant's own secrets: how many variables, or `none` when the tenant has no
   * bucket (no collection, or no `<tenant>.env` in a directory source) — the agent then starts with
   * only what the chain added (its join token). Undefined when the adapter cannot tell.
   */
  readonly tenantSecrets?: number | 'none';
}

/** Writes the `.env` or throws the vault's `ColibriError` (nothing written on failure). */
export type ProvisionEnv = (request: ProvisionRequest) => Promise<ProvisionOutcome>;
