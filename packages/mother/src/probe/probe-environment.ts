/** What a probe command printed and how it ended. */
export interface RunResult {
  /** The exit code; null when the command was killed (e.g. it ran past its timeout). */
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs one probe command: `file` is an absolute path found on the probe's PATH, `args` an argv
 * array (never a shell). Implementations must give up after `timeoutMs`. They may throw when the
 * command cannot start at all; the probe treats that like a missing tool.
 */
export type RunProbeCommand = (
  file: string,
  args: readonly string[],
  options: { readonly timeoutMs: number },
) => Promise<RunResult>;

/**
 * Everything the capability probe looks at, passed in so tests can fake each branch (a PATH of
 * small scripts, a temp directory as `root`) and so the library never reads `process.env`.
 */
export interface ProbeEnvironment {
  /** The OS the agent runs on (`process.platform` in production). */
  readonly platform: NodeJS.Platform;
  /**
   * The environment: `PATH` (where tools are looked up), `DISPLAY`, `WAYLAND_DISPLAY`,
   * `XDG_RUNTIME_DIR`. Also the environment probe commands run with.
   */
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * Prefix for the fixed absolute paths the probe checks (`/dev/zfs`, `/dev/dri`,
   * `/tmp/.X11-unix`); `/` in production. Paths taken from `env` are used as they are.
   */
  readonly root: string;
  /** Runs probe commands; defaults to a real subprocess with a timeout and a small output cap. */
  readonly run?: RunProbeCommand;
  /** How long one probe command may take before it counts as failed; default 5000 ms. */
  readonly timeoutMs?: number;
}

/** A tag the probe found, with what proved it (a path, a command's output). */
export interface ProbedTag {
  /** The capability tag, e.g. `python3.12`. */
  readonly tag: string;
  /** Why the probe believes it, for people: `/usr/bin/python3 --version printed "Python 3.12.3"`. */
  readonly evidence: string;
}

/** A vocabulary tag the probe did not find, with why, so `--explain` and refusals can say what is missing. */
export interface AbsentTag {
  /** The tag or tag family (`python3.*`, `node*`) not found. */
  readonly tag: string;
  /** What the probe looked for and did not find. */
  readonly reason: string;
}

/** Everything one probe run learned: the tags found and the vocabulary tags not found. */
export interface ProbeReport {
  readonly tags: readonly ProbedTag[];
  readonly absent: readonly AbsentTag[];
}
