import type { GlobalFlags } from './resolve-config.js';
import type { RunAgentFlagValues } from './run-agent-core.js';

/** A flag the light entry understands: a string, or an integer with a lower bound. */
export type LightFlagSpec = { readonly kind: 'string' } | { readonly kind: 'integer'; readonly min: number };

const STRING: LightFlagSpec = { kind: 'string' };

/**
 * Every flag of `colibri run-agent` by its own name (the global ones, the identity flags and its
 * own), as its oclif class declares them; run-agent-argv.test.ts holds the two side by side. The
 * deprecated aliases (`--agent-id`, `--concurrency`) are not here: oclif answers them (with its
 * deprecation warning).
 */
export const RUN_AGENT_FLAGS: Readonly<Record<string, LightFlagSpec>> = Object.freeze({
  home: STRING,
  socket: STRING,
  url: STRING,
  token: STRING,
  'identity-dir': STRING,
  name: STRING,
  tenant: STRING,
  capabilities: STRING,
  handlers: STRING,
  slots: { kind: 'integer', min: 1 },
  'join-token-env': STRING,
  agent: STRING,
  'state-dir': STRING,
  'drain-timeout': { kind: 'integer', min: 0 },
  'handler-timeout': { kind: 'integer', min: 1 },
});

/** The defaults oclif applies to absent flags (the same test compares them). */
export const RUN_AGENT_DEFAULTS = Object.freeze({
  'join-token-env': 'COLIBRI_JOIN_TOKEN',
  'drain-timeout': 30,
  'handler-timeout': 60,
});

/** `run-agent`'s argv as the light entry understood it. */
export interface RunAgentInvocation {
  readonly flags: RunAgentFlagValues & GlobalFlags;
  readonly json: boolean;
}

/**
 * Parses the flags after `run-agent` when they are exactly what oclif would accept and read the
 * same way: known flags, each at most once, `--flag value` or `--flag=value`, integers as digits
 * within bounds, `--json` without a value, no arguments. Anything else — help, an unknown, repeated
 * or valueless flag, a value that starts with `-`, `--socket` with `--url`, COLIBRI_CONTENT_TYPE —
 * is undefined: the caller hands the whole command line to oclif, which answers (or explains) it
 * as it always did, so every help text and parse error stays oclif's own.
 */
export function parseRunAgentArgv(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): RunAgentInvocation | undefined {
  // oclif reads COLIBRI_CONTENT_TYPE=json as --json: leave that to it.
  if (env.COLIBRI_CONTENT_TYPE !== undefined) return undefined;
  const flags: Record<string, string | number> = {};
  let json = false;
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] as string;
    if (!arg.startsWith('--') || arg === '--') return undefined;
    const equals = arg.indexOf('=');
    const name = arg.slice(2, equals < 0 ? undefined : equals);
    if (name === 'json' && equals < 0) {
      if (json) return undefined;
      json = true;
      continue;
    }
    const spec = Object.hasOwn(RUN_AGENT_FLAGS, name) ? RUN_AGENT_FLAGS[name] : undefined;
    if (spec === undefined || Object.hasOwn(flags, name)) return undefined;
    const value = equals >= 0 ? arg.slice(equals + 1) : argv[++index];
    if (value === undefined || value === '' || value.startsWith('-')) return undefined;
    if (spec.kind === 'string') {
      flags[name] = value;
      continue;
    }
    if (!/^\d{1,15}$/.test(value)) return undefined;
    const number = Number.parseInt(value, 10);
    if (number < spec.min) return undefined;
    flags[name] = number;
  }
  if (flags.socket !== undefined && flags.url !== undefined) return undefined;
  return { flags: { ...RUN_AGENT_DEFAULTS, ...flags } as RunAgentFlagValues & GlobalFlags, json };
}
