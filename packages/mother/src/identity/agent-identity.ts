import type { SpawnPolicy } from '@colibri/spawn-policy';

/** Where the agent reaches the daemon: its Unix socket, or a TCP base URL (e.g. the socat bridge). */
export type DaemonAddress = { readonly socketPath: string } | { readonly url: string };

/** Who an agent is and how it runs, resolved from layers once and then frozen. */
export interface AgentIdentity {
  /** The agent's name (valid per `parseAgentName`); unique in the hive. */
  readonly name: string;
  /** Its tenant (valid per `parseTenantName`); null = a shared, operator-owned lane. */
  readonly tenant: string | null;
  /** A free label for people and policies (`worker`, `queen`); default `worker`. */
  readonly role: string;
  /** Declared capability tags; null = advertise exactly what the probe finds. */
  readonly capabilities: readonly string[] | null;
  /** Declared tags accepted without the probe's confirmation (a subset of `capabilities`). */
  readonly forceCapabilities: readonly string[];
  /** Where the task handlers live, absolute. */
  readonly handlersDir: string;
  /** How to reach the daemon. Socket paths are absolute. */
  readonly daemon: DaemonAddress;
  /**
   * Tasks held and run at once, 1 to `MAX_AGENT_SLOTS`; default 1. Registered with the daemon,
   * which never gives the agent more.
   */
  readonly slots: number;
  /** The `.env` to verify and load, absolute; null = this agent has no secrets. Default `<home>/.env`. */
  readonly envFile: string | null;
  /** Where the agent keeps its own agent token (mode 0700), absolute. */
  readonly stateDir: string;
  /** Seconds between heartbeats; default 10 (below the daemon's default 30 s TTL). */
  readonly heartbeatSeconds: number;
  /** What this agent may spawn; the default forbids everything. */
  readonly spawnPolicy: SpawnPolicy;
}

/** One field of {@link AgentIdentity}. */
export type IdentityField = keyof AgentIdentity;

/** Every identity field, in display order. */
export const IDENTITY_FIELDS: readonly IdentityField[] = Object.freeze([
  'name',
  'tenant',
  'role',
  'capabilities',
  'forceCapabilities',
  'handlersDir',
  'daemon',
  'slots',
  'envFile',
  'stateDir',
  'heartbeatSeconds',
  'spawnPolicy',
] as const);

/**
 * Where an identity value can come from, weakest first: built-in defaults, then the files of
 * the image, host, tenant and agent layers, then command-line flags.
 */
export type IdentityLayer = 'default' | 'image' | 'host' | 'tenant' | 'agent' | 'flag';

/** The layers read from files in the identity directory, weakest first. */
export const FILE_LAYERS = Object.freeze(['image', 'host', 'tenant', 'agent'] as const);

/** A file layer. */
export type FileLayer = (typeof FILE_LAYERS)[number];

/** Where one value came from: its layer and, for a file layer, the file. */
export interface IdentityOrigin {
  readonly layer: IdentityLayer;
  readonly file?: string;
}

/** The resolved identity and, for every field, the layer (and file) that set it. */
export interface ResolvedIdentity {
  readonly identity: AgentIdentity;
  readonly origins: Readonly<Record<IdentityField, IdentityOrigin>>;
}
