import { ColibriError, type ErrorCode } from '@colibri/errors';
import * as v from 'valibot';
import type { CommandResult, CommandRunner, ConnectedProcess } from '../command-runner.js';
import { scrubSecrets } from '../scrub-secrets.js';
import { SERVE_ARGS } from './bw-serve.js';

/** How to run the pinned bw and what it must never reveal. */
export interface BwCliOptions {
  readonly runner: CommandRunner;
  /** The node binary that runs bw's bundle (this process's own). */
  readonly nodePath: string;
  /** The bundle, `@bitwarden/cli/build/bw.js`. */
  readonly bwEntry: string;
  readonly appDataDir: string;
  /** Extra variables every bw call gets (e.g. NODE_EXTRA_CA_CERTS); validated by the caller. */
  readonly extraEnv: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** The credentials and the current session key, scrubbed from anything bw printed before it is quoted. */
  readonly secrets: () => readonly (string | undefined)[];
}

const MAX_QUOTED = 400;
/**
 * A log line of bw's Rust SDK (`ERROR bitwarden_crypto::keys::master_key: error=…`): internal noise
 * printed before bw's own sentence, never quoted to an operator.
 */
const SDK_LOG_LINE = /^\s*(?:ERROR|WARN|INFO|DEBUG|TRACE)\s+[A-Za-z0-9_]+(?:::[A-Za-z0-9_]+)+:/;

/** bw's words without its SDK's log lines, e.g. only `Cryptography error, The decryption operation failed`. */
export function usefulBwText(text: string): string {
  return text
    .split(/\r?\n/)
    .filter((line) => !SDK_LOG_LINE.test(line))
    .join('\n');
}

/**
 * One call of bw = one child process: `node bw.js <args> --nointeraction` with a minimal
 * environment (the appdata dir, BW_NOINTERACTION, the caller's extras and exactly the variables
 * this command needs). Nothing is inherited from this process, and no secret is ever on argv.
 */
export class BwCli {
  readonly #options: BwCliOptions;

  constructor(options: BwCliOptions) {
    this.#options = options;
  }

  /** Runs `bw <args>` with `env` added to the base environment. */
  run(args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<CommandResult> {
    const { runner, nodePath, bwEntry, timeoutMs } = this.#options;
    return runner.run(nodePath, [bwEntry, ...args, '--nointeraction'], {
      env: { ...this.#baseEnv(), ...env },
      timeoutMs,
    });
  }

  /**
   * Starts `bw serve --hostname fd+connected://3 --nointeraction` with the base environment only
   * (no credential, no session): it speaks HTTP over a socket pair only this process holds.
   */
  serve(): ConnectedProcess {
    const { runner, nodePath, bwEntry, timeoutMs } = this.#options;
    return runner.start(nodePath, [bwEntry, ...SERVE_ARGS, '--nointeraction'], {
      env: this.#baseEnv(),
      timeoutMs,
    });
  }

  #baseEnv(): Record<string, string> {
    const { appDataDir, extraEnv } = this.#options;
    return { ...extraEnv, BITWARDENCLI_APPDATA_DIR: appDataDir, BW_NOINTERACTION: 'true' };
  }

  /**
   * Runs `bw <args>` and returns its trimmed stdout; a non-zero exit, a timeout or empty stdout
   * (bw exits 0 with nothing on stdout when it would have prompted) throws `code` quoting bw's
   * scrubbed stderr.
   */
  async runOk(
    args: readonly string[],
    env: Readonly<Record<string, string>>,
    code: ErrorCode,
    hint = '',
  ): Promise<string> {
    const result = await this.run(args, env);
    const stdout = result.stdout.trim();
    if (result.exitCode === 0 && stdout !== '' && result.timedOut !== true) return stdout;
    throw this.failure(args, result, code, hint);
  }

  /** The error for a failed bw call: what ran, how it ended, bw's own words without secrets. */
  failure(args: readonly string[], result: CommandResult, code: ErrorCode, hint = ''): ColibriError {
    const command = `bw ${args.join(' ')}`;
    const said = this.quote(result.stderr);
    const how =
      result.timedOut === true
        ? `timed out after ${this.#options.timeoutMs} ms`
        : result.exitCode === 0
          ? 'printed nothing (it would have prompted for input)'
          : `failed (exit ${result.exitCode})`;
    return new ColibriError(code, `${command} ${how}${said === '' ? '' : `: ${said}`}${hint}`, {
      command,
      exitCode: result.exitCode,
      ...(said === '' ? {} : { stderr: said }),
    });
  }

  /** bw's words made safe to quote: its SDK's log lines dropped, secrets scrubbed, one line, bounded. */
  quote(stderr: string): string {
    const line = scrubSecrets(usefulBwText(stderr), this.#options.secrets()).replace(/\s+/g, ' ').trim();
    return line.length > MAX_QUOTED ? `${line.slice(0, MAX_QUOTED)}…` : line;
  }

  /**
   * Parses bw's JSON output with `schema`. On failure the error names the command and the path of
   * the first unexpected field only: the output itself may hold secrets and is never quoted.
   */
  parse<TSchema extends v.GenericSchema>(
    args: readonly string[],
    stdout: string,
    schema: TSchema,
  ): v.InferOutput<TSchema> {
    let json: unknown;
    try {
      json = JSON.parse(stdout);
    } catch {
      throw new ColibriError(
        'COLIBRI_VAULT_CLI_FAILED',
        `bw ${args.join(' ')} printed something that is not JSON; is the pinned bw version in use?`,
        { command: `bw ${args.join(' ')}` },
      );
    }
    const parsed = v.safeParse(schema, json);
    if (parsed.success) return parsed.output;
    const path = parsed.issues[0]?.path?.map((item) => String(item.key)).join('.') ?? '';
    throw new ColibriError(
      'COLIBRI_VAULT_CLI_FAILED',
      `bw ${args.join(' ')} printed JSON colibri does not understand${path === '' ? '' : ` (at ${path})`}; ` +
        'is the pinned bw version in use?',
      { command: `bw ${args.join(' ')}`, ...(path === '' ? {} : { path }) },
    );
  }
}
