// The direct path: `colibri <command> …` for one of colibri's own commands that asks for no help,
// run without oclif's configuration loader (its `Config.load` reads and sorts the manifest, asks
// whether this is WSL, looks for themes and user plugins, and runs twice per invocation: once in
// `main.run` and again in `Command.run`). Everything else of oclif is its own: the command class
// is constructed and run as `Command.run` does (`_run`: init → oclif's parser → run → catch →
// finally), success goes through oclif's `flush` and failure through oclif's `handle`, as in
// `execute`. The config the command sees is the subset of oclif's that a colibri command, oclif's
// `Command` and its parser read ({@link directConfig}); cli-bundle.e2e.test.ts runs every case
// through this path and through the unbundled oclif and compares stdout, stderr and exit code.
//
// It declines (returns false, having done nothing) whenever oclif's config could differ from that
// subset: a theme or a user-plugin file, the debug variables, WSL. bin/run.js then starts the
// oclif bundle, which does exactly what it always did. COLIBRI_NO_DIRECT=1 turns it off.
import { existsSync, readFileSync } from 'node:fs';
import { arch, homedir, platform, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from '@oclif/core/command';
import { exit } from '@oclif/core/errors';
import { flush } from '@oclif/core/flush';
import { handle } from '@oclif/core/handle';
import type { Config, Hook, PJSON } from '@oclif/core/interfaces';

type Env = Readonly<Record<string, string | undefined>>;

/** A colibri command class as oclif constructs it. */
type CommandClass = { id?: string; strict?: boolean; args?: Record<string, unknown> } & (new (
  argv: string[],
  config: Config,
) => Command);
/** The commands a direct bundle holds, by id (one per bundle: scripts/bundle.mjs). */
export type DirectCommands = Readonly<Record<string, CommandClass>>;

/** oclif's `scopedEnvVarKey` for colibri (no bin aliases): `COLIBRI_<KEY>`. */
const scoped = (bin: string, key: string) =>
  [bin.replaceAll('@', '').replaceAll(/[/-]/g, '_'), key].join('_').toUpperCase();

/**
 * Whether oclif's own config for `argv` is the one {@link directConfig} builds: a colibri command,
 * no help flag (oclif answers `--help` anywhere before `--`; `-h` is left to it too), no debug
 * output, no theme or user plugins, not WSL (oclif's platform would be "wsl").
 */
export function directApplies(
  commands: DirectCommands,
  argv: readonly string[],
  env: Env,
  pjson: PJSON,
): boolean {
  const [id, next] = argv;
  if (id === undefined || !Object.hasOwn(commands, id)) return false;
  if (argv.includes('--help') || argv.includes('-h')) return false;
  if (!environmentAllows(env, pjson)) return false;
  // oclif's normalizeArgv (topic separator " "): a word after a command that takes no argument
  // joins its id (`list-tasks extra` is the unknown command "list-tasks:extra").
  const command = commands[id] as CommandClass;
  const takesArgs = command.strict === false || Object.keys(command.args ?? {}).length > 0;
  if (next !== undefined && !next.startsWith('-') && !next.includes('=') && !takesArgs) return false;
  return true;
}

/** What of the environment and package.json oclif's config reads that the direct path does not. */
function environmentAllows(env: Env, pjson: PJSON): boolean {
  if (given(env.COLIBRI_NO_DIRECT) || given(env.DEBUG)) return false;
  const bin = pjson.oclif.bin ?? pjson.name;
  if (given(env[scoped(bin, 'DEBUG')])) return false;
  if (platform() === 'linux' && /microsoft/i.test(release())) return false;
  // Config.load: configDir/theme.json (the theme) and dataDir/package.json (user plugins).
  const home = env.HOME || homedir() || tmpdir();
  const dirname = pjson.oclif.dirname ?? pjson.name;
  const configDir =
    env[scoped(bin, 'CONFIG_DIR')] || join(env.XDG_CONFIG_HOME || join(home, '.config'), dirname);
  const dataDir =
    env[scoped(bin, 'DATA_DIR')] || join(env.XDG_DATA_HOME || join(home, '.local/share'), dirname);
  if (existsSync(join(configDir, 'theme.json')) || existsSync(join(dataDir, 'package.json'))) return false;
  // A theme or exit codes of the package's own (oclif would read them), another topic separator
  // (the rule above is the one for " "), help flags of its own: none today.
  const { oclif } = pjson;
  if (oclif.theme !== undefined || oclif.exitCodes !== undefined || oclif.topicSeparator !== ' ')
    return false;
  if (oclif.additionalHelpFlags !== undefined || oclif.additionalVersionFlags !== undefined) return false;
  return true;
}

const given = (value: string | undefined) => value !== undefined && value !== '';

/**
 * What of oclif's Config a colibri command reads (its own `config.root`, `config.version`), oclif's
 * `Command` (`bin`, `userAgent`, the scoped environment variables, the `preparse` hook, the command
 * ids for `normalizeArgv`) and its parser (the config is handed to flag parsers as context), with
 * oclif's values for the root package and no plugins (what cli-entry's packageJsonFor gives oclif
 * for a colibri command).
 */
export function directConfig(
  commands: DirectCommands,
  commandIds: readonly string[],
  packageRoot: string,
  pjson: PJSON,
): Config {
  const bin = pjson.oclif.bin ?? pjson.name;
  const cpu = arch() === 'ia32' ? 'x86' : arch();
  const keys = (key: string) => [scoped(bin, key)];
  const config = {
    root: packageRoot,
    pjson,
    name: pjson.name,
    version: pjson.version,
    bin,
    dirname: pjson.oclif.dirname ?? pjson.name,
    topicSeparator: pjson.oclif.topicSeparator ?? ':',
    flexibleTaxonomy: false,
    isSingleCommandCLI: false,
    platform: platform(),
    arch: cpu,
    windows: false,
    userAgent: `${pjson.name}/${pjson.version} ${platform()}-${cpu} node-${process.version}`,
    theme: undefined,
    commandIDs: [...commandIds],
    // oclif's normalizeArgv asks it only of the command being run (for its `strict` and `args`).
    findCommand: (id: string) => (Object.hasOwn(commands, id) ? commands[id] : undefined),
    scopedEnvVarKey: (key: string) => scoped(bin, key),
    scopedEnvVarKeys: keys,
    scopedEnvVar: (key: string) => process.env[keys(key).find((name) => process.env[name]) as string],
    scopedEnvVarTrue: (key: string) => ['1', 'true'].includes(process.env[scoped(bin, key)] as string),
    // No plugins and no hooks of colibri's own but command_not_found: every other event has none.
    runHook: async () => ({ successes: [], failures: [] }),
  };
  return config as unknown as Config;
}

/**
 * Runs `argv` (without node and the script) as oclif's `execute` would when {@link directApplies};
 * returns false (having done nothing) otherwise. `commandIds`: every colibri command's id.
 */
export async function runDirect(
  commands: DirectCommands,
  commandIds: readonly string[],
  argv: readonly string[],
  packageRoot: string,
): Promise<boolean> {
  // What oclif itself reads for a package.json that has an `oclif` section (readPjson).
  const pjson = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as PJSON;
  if (!directApplies(commands, argv, process.env, pjson)) return false;
  const [id, ...rest] = argv as [string, ...string[]];
  const CommandClass = commands[id] as CommandClass;
  // What plugin.findCommand sets on the class it hands out.
  CommandClass.id = id;
  // cli-entry's packageJsonFor: no plugins for a colibri command that asks for no help.
  const config = directConfig(commands, commandIds, packageRoot, {
    ...pjson,
    oclif: { ...pjson.oclif, plugins: [] },
  });
  try {
    // Command.run: construct, then _run (init → parse → run → catch → finally → JSON result).
    await (new CommandClass(rest, config) as unknown as { _run(): Promise<unknown> })._run();
    await flush();
  } catch (error) {
    await handle(error as Error);
  }
  return true;
}

/** Every command id and topic oclif's full config has (its plugins' too), taken from it at build. */
export interface KnownIds {
  readonly commandIDs: readonly string[];
  readonly topics: readonly string[];
}

/**
 * Whether `argv` reaches oclif's command_not_found hook with id `argv[0]` and the rest as its argv:
 * a word (not a flag, no topic separator) that is no command or topic of the full config, followed
 * by nothing oclif's normalizeArgv would join to it (a word that is no flag), no help flag.
 */
export function unknownApplies(known: KnownIds, argv: readonly string[], env: Env, pjson: PJSON): boolean {
  const [id, next] = argv;
  if (id === undefined || id === '' || id.startsWith('-') || id.includes(':')) return false;
  if (known.commandIDs.includes(id) || known.topics.includes(id)) return false;
  if (next !== undefined && !next.startsWith('-') && !next.includes('=')) return false;
  if (argv.includes('--help')) return false;
  return environmentAllows(env, pjson);
}

/**
 * `colibri <unknown word> …`: colibri's command_not_found hook run as oclif's runHook runs it (the
 * same `this` and options, the config's command ids from the full config), its exit through
 * oclif's `handle`; false (having done nothing) unless {@link unknownApplies}.
 */
export async function runUnknown(
  hook: Hook.CommandNotFound,
  known: KnownIds,
  argv: readonly string[],
  packageRoot: string,
): Promise<boolean> {
  const pjson = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as PJSON;
  if (!unknownApplies(known, argv, process.env, pjson)) return false;
  const [id, ...rest] = argv as [string, ...string[]];
  const config = { commandIDs: [...known.commandIDs] } as unknown as Config;
  const context = {
    config,
    exit(code = 0) {
      exit(code);
    },
  } as unknown as Hook.Context;
  try {
    await hook.call(context, { id, argv: rest, config, context });
    await flush();
  } catch (error) {
    await handle(error as Error);
  }
  return true;
}
