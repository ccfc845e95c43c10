/**
 * The one interface every jail driver implements (`bastille` on FreeBSD, `linux` with bwrap).
 * Names reach a driver already validated (`parseJailName`/`parseAgentName`); a driver validates
 * them again before any path or argv is built (defence in depth) and throws
 * `COLIBRI_INVALID_NAME` without running anything.
 *
 * Every mutating call checks the EXACT jail name first and verifies the resulting state after
 * (never trusting a tool's exit code alone). Errors are `ColibriError`s:
 * `COLIBRI_JAIL_EXISTS`, `COLIBRI_JAIL_NOT_FOUND`, `COLIBRI_JAIL_DRIVER_FAILED` (a command failed or
 * the state afterwards is not what it should be: the message names the command and what was seen),
 * `COLIBRI_PREFLIGHT_FAILED`, `COLIBRI_RUNTIME_UNAVAILABLE`, `COLIBRI_UNSAFE_PATH`.
 */
import type { LaunchSettings } from './launch-settings.js';

export type JailDriverKind = 'bastille' | 'linux';

/** One preflight check: what was checked, whether it passed, and what to do when it did not. */
export interface PreflightCheck {
  /** Stable short name, e.g. `root`, `not-jailed`, `bastille-present`, `prefix-mode`, `cap-setuid`, `trial-sandbox`. */
  readonly name: string;
  readonly ok: boolean;
  /** What was seen, e.g. `euid 0`, `CapEff lacks CAP_SYS_ADMIN`, `bastille 1.4.4`. */
  readonly detail: string;
  /** When not ok: what the operator should do. */
  readonly fix?: string;
}

export interface PreflightReport {
  /** True when every check passed. */
  readonly ok: boolean;
  /** Every check, in the order run; all are run even after a failure. */
  readonly checks: readonly PreflightCheck[];
  /** Facts recorded for the operator and for flag choices, e.g. `{ bastilleVersion: '1.4.4' }`. */
  readonly facts: Readonly<Record<string, string>>;
}

/** The jail user's numeric ids (on the host; for bastille, the jail's passwd ids, equal on the host). */
export interface JailOwner {
  readonly uid: number;
  readonly gid: number;
}

/** What to create. */
export interface JailSpec {
  /** The jail name (parseJailName). */
  readonly name: string;
  /** The agent that will live in it (parseAgentName); recorded with the jail. */
  readonly agentName: string;
  /** The tenant the jail serves (parseTenantName); recorded with the jail. */
  readonly tenant: string;
}

/** A jail as the driver knows it. */
export interface JailInfo {
  readonly name: string;
  readonly agentName: string;
  readonly tenant: string;
  /** The host path of the jail user's home: the directory that receives `.env`. */
  readonly home: string;
  /** The directory every jail home of this driver is inside: the vault writer's `allowedRoot`. */
  readonly allowedRoot: string;
  readonly owner: JailOwner;
  /** The runtime version bootstrapped into it, or null before bootstrap. */
  readonly runtimeVersion: string | null;
}

/** What {@link JailDriver.inspect} sees. */
export type JailStatus =
  | { readonly exists: false }
  | {
      readonly exists: true;
      /**
       * The driver's record of the jail, or null when a jail of that name exists but colibri did
       * not create it (no record): such a jail is never touched.
       */
      readonly info: JailInfo | null;
      /** Whether the agent process is running in it. */
      readonly agent: 'running' | 'stopped';
      /**
       * The settings the agent was last started with (undefined: never started, or by a colibri
       * that did not record them). A rerun compares them with {@link JailDriver.launchSettings}.
       */
      readonly launched?: LaunchSettings;
    };

/**
 * The agent runtime to bootstrap: the colibri CLI at a pinned version.
 * - linux: `root` is a host directory holding an installed colibri (its node_modules included),
 *   bound read-only into the sandbox at the same path; `entry` is its `bin/run.js`.
 * - bastille: `packageCache` is a host directory holding the pinned packages (`<name>-<version>.pkg`),
 *   installed into the jail offline; `entry` is the path inside the jail.
 * Bootstrap fails with `COLIBRI_RUNTIME_UNAVAILABLE` (naming what is missing and how to fill the
 * cache) BEFORE changing the jail when anything is missing: never a half install.
 */
export interface AgentRuntime {
  /** The pinned colibri version; `<entry> --version` must report it. */
  readonly version: string;
  /** linux: the installation root bound read-only into the sandbox. */
  readonly root?: string;
  /** The CLI entry script (linux: host path under `root`; bastille: path inside the jail). */
  readonly entry: string;
  /**
   * linux: a lighter entry under `root` that runs `run-agent` itself, with the same command line
   * (`<agentEntry> run-agent FLAGS…`) and handing anything else to the CLI: the agent is started
   * with it, and bootstrap checks it. Without it the agent runs through `entry`.
   */
  readonly agentEntry?: string | undefined;
  /** bastille: host directory of pinned packages. */
  readonly packageCache?: string;
  /** bastille: the pinned packages, e.g. `[{ name: 'node20', version: '20.20.2' }, { name: 'colibri', version: '0.1.0' }]`. */
  readonly packages?: ReadonlyArray<{ readonly name: string; readonly version: string }>;
}

/** How the agent inside reaches colibrid. Exactly one of the two. */
export interface DaemonEndpoint {
  /** The daemon's Unix socket on the host (linux: proxied into the sandbox through a per-jail socket). */
  readonly socketPath?: string;
  /** A URL reachable from inside the jail (bastille: the bridge address). */
  readonly url?: string;
}

/** What to run: `colibri run-agent` with these non-secret settings (secrets come from `.env` only). */
export interface AgentLaunch {
  readonly agentName: string;
  readonly tenant: string;
  /** Declared capability tags (null: advertise what the probe finds inside the jail). */
  readonly capabilities: readonly string[] | null;
  readonly daemon: DaemonEndpoint;
  /**
   * A host directory of task handler executables, made visible read-only inside the jail (linux:
   * bound at /opt/colibri/handlers; bastille: nullfs-mounted read-only) and passed as `--handlers`.
   * Absent: the agent uses `<its home>/handlers`.
   */
  readonly handlersDir?: string;
  /** linux: the sandbox's network for this agent (default: the driver's `network` option). bastille: unused. */
  readonly network?: 'none' | 'host';
}

export interface JailDriver {
  readonly kind: JailDriverKind;
  /** Runs every check and reports all of them; never throws for a failed check. */
  preflight(): Promise<PreflightReport>;
  /** The jail by EXACT name (a prefix match is not a match). */
  inspect(name: string): Promise<JailStatus>;
  /**
   * Creates the jail, its dedicated user and the user's home (mode 0700, owned by the user);
   * `COLIBRI_JAIL_EXISTS` when the exact name exists (nothing changed).
   */
  create(spec: JailSpec): Promise<JailInfo>;
  /** Installs/binds the pinned runtime and verifies `<entry> --version` inside the jail as the jail user. */
  bootstrap(name: string, runtime: AgentRuntime): Promise<JailInfo>;
  /**
   * Starts `run-agent` inside the jail AS the jail user, supervised so that it outlives the calling
   * process. Resolves once the process is running (not once it registered). A running agent is
   * left alone (resolves `already-running`).
   */
  startAgent(name: string, launch: AgentLaunch): Promise<'started' | 'already-running'>;
  /** SIGTERM (the agent drains), then SIGKILL after `graceMs`. */
  stopAgent(name: string, options?: { graceMs?: number }): Promise<'stopped' | 'not-running'>;
  /** Stops the agent and removes the jail and its user's files; `absent` when there was none. */
  destroy(name: string): Promise<'destroyed' | 'absent'>;
  /** The host path of the agent's log (stdout+stderr), for error reports. */
  agentLogPath(name: string): string;
  /**
   * The settings a `startAgent(name, launch)` after `bootstrap(name, runtime)` would run the agent
   * with — what {@link JailStatus.launched} reports afterwards. Pure: nothing is checked or run.
   */
  launchSettings(launch: AgentLaunch, runtime: AgentRuntime): LaunchSettings;
}
