import { format } from 'node:util';
import type { ColibriClient } from '@colibri/client';
import type { ColibriError } from '@colibri/errors';
// Subpath imports: the package index loads all of oclif (help, ux, semver…), ~60-100 ms per run.
import { Command } from '@oclif/core/command';
import { ExitError } from '@oclif/core/errors';
import * as Flags from '@oclif/core/flags';
import type { InferredArgs, InferredFlags } from '@oclif/core/interfaces';
import { describeCliError } from './describe-cli-error.js';
import { exitCodeFor } from './exit-codes.js';
import { terminalSafe, terminalSafeJson } from './format/terminal-safe.js';
import type { CliConfig } from './resolve-config.js';
import { oneLine } from './to-colibri-error.js';

/** A command's parsed flags: its own plus the global ones. */
export type CommandFlags<T extends typeof Command> = InferredFlags<
  (typeof BaseCommand)['baseFlags'] & T['flags']
>;
/** A command's parsed arguments. */
export type CommandArgs<T extends typeof Command> = InferredArgs<T['args']>;

const GLOBAL = 'GLOBAL';

/**
 * Every colibri command: the global flags (`--home`, `--socket`, `--url`, `--token`, `--json`),
 * configuration resolved once and a client built from it on first use, and one `catch()` that
 * turns an error's stable code into an exit code and a one-line reason (or, with `--json`, the
 * `{error: {code, message, details}}` envelope on stdout).
 */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true;

  static override baseFlags = {
    home: Flags.string({
      description:
        'colibri home: holds colibri.sock and operator.token [env: COLIBRI_HOME; default: /var/db/colibri ' +
        '(root, FreeBSD), /var/lib/colibri (root, Linux), else $XDG_STATE_HOME/colibri or ~/.local/state/colibri]',
      helpGroup: GLOBAL,
      helpValue: 'DIR',
    }),
    socket: Flags.string({
      description: "the daemon's Unix socket [env: COLIBRI_SOCKET; default: $home/colibri.sock]",
      exclusive: ['url'],
      helpGroup: GLOBAL,
      helpValue: 'PATH',
    }),
    url: Flags.string({
      description:
        'reach the daemon over TCP instead, e.g. through the socat bridge: http://100.64.0.1:9190 [env: COLIBRI_URL]',
      exclusive: ['socket'],
      helpGroup: GLOBAL,
      helpValue: 'URL',
    }),
    token: Flags.string({
      description:
        'operator, agent or join token [env: COLIBRI_TOKEN; default: $home/operator.token when readable]; ' +
        'prefer the environment: other users can read argv',
      helpGroup: GLOBAL,
      helpValue: 'TOKEN',
    }),
  };

  /** This command's parsed flags (set in `init`). */
  protected flags!: CommandFlags<T>;
  /** This command's parsed arguments (set in `init`). */
  protected args!: CommandArgs<T>;

  #config: CliConfig | undefined;
  #client: ColibriClient | undefined;

  override async init(): Promise<void> {
    await super.init();
    const { args, flags } = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (this.ctor as typeof BaseCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      args: this.ctor.args,
      strict: this.ctor.strict,
    });
    this.flags = flags as CommandFlags<T>;
    this.args = args as CommandArgs<T>;
  }

  /** Where the daemon is and which token to present: flags > environment > files > defaults, resolved once. */
  protected async cliConfig(): Promise<CliConfig> {
    if (this.#config === undefined) {
      const [{ resolveConfig }, { processConfigSources }] = await Promise.all([
        import('./resolve-config.js'),
        import('./process-config-sources.js'),
      ]);
      this.#config = resolveConfig(this.flags, processConfigSources(process.env));
    }
    return this.#config;
  }

  /** The daemon client for this invocation, built on first use (the HTTP client is loaded only then). */
  protected async client(): Promise<ColibriClient> {
    if (this.#client === undefined) {
      const config = await this.cliConfig();
      const { connect } = await import('./connect.js');
      this.#client = connect(config);
    }
    return this.#client;
  }

  /** A warning for people, on stderr; `--json` output carries warnings in its own fields instead. */
  protected warnLine(message: string): void {
    if (!this.jsonEnabled()) this.printErr(`colibri: warning: ${oneLine(message)}`);
  }

  /**
   * Every line for people goes out through here (stderr) or {@link log} (stdout), made
   * {@link terminalSafe}: an agent's log tail, a step line, a report or an error message can never
   * drive the operator's terminal.
   */
  protected printErr(text: string): void {
    process.stderr.write(`${terminalSafe(text.endsWith('\n') ? text.slice(0, -1) : text)}\n`);
  }

  override log(message = '', ...args: unknown[]): void {
    super.log(terminalSafe(args.length === 0 ? message : format(message, ...args)));
  }

  /** JSON for scripts, with the characters JSON.stringify leaves raw (C1 controls, bidi overrides) escaped. */
  override logJson(json: unknown): void {
    process.stdout.write(`${terminalSafeJson(json, 2)}\n`);
  }

  protected override async catch(error: Error & { exitCode?: number }): Promise<unknown> {
    // `this.exit()` throws; let it through untouched.
    if (error instanceof ExitError) throw error;
    const colibriError = this.describeError(error);
    const { message } = colibriError;
    if (this.jsonEnabled()) {
      this.logJson({ error: { ...colibriError.toJSON(), message } });
    } else {
      this.printErr(`colibri: ${message} [${colibriError.code}]`);
    }
    return this.exit(exitCodeFor(colibriError.code));
  }

  /**
   * `error` as this command reports it: a `ColibriError` whose one-line message is completed with
   * what only the CLI knows and scrubbed of secrets ({@link describeCliError}). `catch()` prints it;
   * `colibri mcp` answers tool calls with it, so a tool error says exactly what the command would.
   */
  protected describeError(error: unknown): ColibriError {
    return describeCliError(error, { config: this.#config, argv: this.argv, env: process.env });
  }
}
