// `status` for the fast path (fast-path.ts): the same configuration resolution,
// client, formatting and error report as the oclif commands, without oclif's parser. Only argv it
// fully understands is answered; anything else is declined to oclif.
import type { StatusResponse } from '@colibri/api';
import { connect } from './connect.js';
import { describeCliError } from './describe-cli-error.js';
import { describeTarget } from './describe-config.js';
import { exitCodeFor } from './exit-codes.js';
import type { FastPathIo } from './fast-path.js';
import { formatStatus } from './format/format-status.js';
import { terminalSafe, terminalSafeJson } from './format/terminal-safe.js';
import { processConfigSources } from './process-config-sources.js';
import { type CliConfig, type GlobalFlags, resolveConfig } from './resolve-config.js';

/** The base command's global flags (all take a value). */
const GLOBAL_FLAGS = ['home', 'socket', 'url', 'token'] as const;

/** A command's own flag: `string` takes a value (`options` limits it), `boolean` none. */
type FlagSpec =
  | { readonly kind: 'string'; readonly options?: readonly string[] }
  | { readonly kind: 'boolean' };

type ParsedFlags = Readonly<Record<string, string | true>>;

/** A command's result: its `--json` document and, for people, the text `this.log` would print. */
interface Answer {
  readonly json: unknown;
  readonly human: string;
}

interface FastCommand {
  /** Its own flags, as its oclif class declares them (fast-path.e2e.test.ts checks they agree). */
  readonly flags: Readonly<Record<string, FlagSpec>>;
  run(client: ReturnType<typeof connect>, flags: ParsedFlags, config: CliConfig): Promise<Answer>;
}

/** What the fast path answers; each mirrors `src/commands/<id>.ts`. */
export const FAST_COMMANDS: Readonly<Record<string, FastCommand>> = {
  status: {
    flags: {},
    async run(client, _flags, config) {
      const response: StatusResponse = await client.status();
      return { json: response, human: formatStatus(response, describeTarget(config.target)) };
    },
  },
};

/** Answers `[id, ...flags]` for a {@link FAST_COMMANDS} id it fully understands; false otherwise. */
export async function answerCommand(argv: readonly string[], io: FastPathIo): Promise<boolean> {
  const [id, ...rest] = argv;
  const command = id !== undefined && Object.hasOwn(FAST_COMMANDS, id) ? FAST_COMMANDS[id] : undefined;
  if (command === undefined) return false;
  // oclif reads COLIBRI_CONTENT_TYPE=json as --json: leave that to it.
  if (io.env.COLIBRI_CONTENT_TYPE !== undefined) return false;
  const parsed = parseFlags(rest, command.flags);
  if (parsed === undefined) return false;
  const { json, flags } = parsed;

  let config: CliConfig | undefined;
  try {
    const global: GlobalFlags = Object.fromEntries(
      GLOBAL_FLAGS.flatMap((name) => (typeof flags[name] === 'string' ? [[name, flags[name]]] : [])),
    );
    config = resolveConfig(global, processConfigSources(io.env));
    const answer = await command.run(connect(config), flags, config);
    io.writeStdout(json ? `${terminalSafeJson(answer.json, 2)}\n` : `${terminalSafe(answer.human)}\n`);
  } catch (error) {
    // Exactly the base command's catch().
    const described = describeCliError(error, { config, argv: rest, env: io.env });
    if (json) {
      const envelope = { error: { ...described.toJSON(), message: described.message } };
      io.writeStdout(`${terminalSafeJson(envelope, 2)}\n`);
    } else {
      const line = `colibri: ${described.message} [${described.code}]`;
      io.writeStderr(`${terminalSafe(line.endsWith('\n') ? line.slice(0, -1) : line)}\n`);
    }
    io.setExitCode(exitCodeFor(described.code));
  }
  return true;
}

/**
 * The global flags, `--json` and the command's own, each at most once, as `--flag value` or
 * `--flag=value`; undefined (leave it to oclif, which explains) for anything else.
 */
function parseFlags(
  argv: readonly string[],
  own: Readonly<Record<string, FlagSpec>>,
): { json: boolean; flags: ParsedFlags } | undefined {
  const flags: Record<string, string | true> = {};
  let json = false;
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] as string;
    if (!arg.startsWith('--')) return undefined;
    const equals = arg.indexOf('=');
    const name = arg.slice(2, equals < 0 ? undefined : equals);
    if (name === 'json' && equals < 0) {
      if (json) return undefined;
      json = true;
      continue;
    }
    const spec: FlagSpec | undefined = (GLOBAL_FLAGS as readonly string[]).includes(name)
      ? { kind: 'string' }
      : Object.hasOwn(own, name)
        ? own[name]
        : undefined;
    if (spec === undefined || Object.hasOwn(flags, name)) return undefined;
    if (spec.kind === 'boolean') {
      if (equals >= 0) return undefined;
      flags[name] = true;
      continue;
    }
    const value = equals >= 0 ? arg.slice(equals + 1) : argv[++index];
    // A missing value, or one oclif might read as a flag: its parser decides.
    if (value === undefined || value === '' || value.startsWith('-')) return undefined;
    if (spec.options !== undefined && !spec.options.includes(value)) return undefined;
    flags[name] = value;
  }
  // oclif refuses --socket with --url (exclusive); let it say so.
  if (flags.socket !== undefined && flags.url !== undefined) return undefined;
  return { json, flags };
}
