import { ColibriError } from '@colibri/errors';
import { type CommandResult, firstLines, MINIMAL_COMMAND_ENV, runCommand } from '../run-command.js';
import type { ResolvedBastilleDriverOptions } from './bastille-driver-options.js';
import { type BastilleVersion, parseBastilleVersion } from './bastille-version.js';

/** A command line as shown in errors and logs (argv never holds a secret: the driver sees to that). */
export function describeCommand(file: string, args: readonly string[]): string {
  return [file, ...args].join(' ');
}

/** `COLIBRI_JAIL_DRIVER_FAILED` naming the command, how it ended and what was seen afterwards. */
export function driverFailed(
  command: string,
  result: CommandResult | null,
  seen: string,
  details: Record<string, unknown> = {},
): ColibriError {
  const how =
    result === null
      ? ''
      : ` exited ${result.exitCode}${result.timedOut ? ' (timed out)' : ''}` +
        (firstLines(`${result.stderr}\n${result.stdout}`) === ''
          ? ''
          : ` (${firstLines(`${result.stderr}\n${result.stdout}`)})`);
  return new ColibriError('COLIBRI_JAIL_DRIVER_FAILED', `\`${command}\`${how}, but ${seen}`, {
    command,
    ...(result === null ? {} : { exitCode: result.exitCode }),
    seen,
    ...details,
  });
}

/**
 * The driver's only door to the tools: argv arrays, a fixed minimal environment (the caller's may
 * hold secrets), empty stdin (a prompt reads no answer), a timeout. It never trusts an exit code
 * on its own: callers verify the state afterwards.
 */
export interface BastilleCli {
  bastille(args: readonly string[]): Promise<CommandResult>;
  /** `jexec -l -U <user> <jail> argv…`: jexec takes the exact jail name (no prefix matching). */
  jexec(jail: string, user: string, argv: readonly string[]): Promise<CommandResult>;
  sysctl(oid: string): Promise<CommandResult>;
  /** `bastille list jails`: one name per line, the stable form for an exact-name check. */
  listJails(): Promise<ReadonlySet<string>>;
  /** `bastille --version`, run once and remembered. */
  version(): Promise<BastilleVersion>;
}

export function createBastilleCli(options: ResolvedBastilleDriverOptions): BastilleCli {
  const { commands, commandTimeoutMs, logger } = options;
  const run = (file: string, args: readonly string[]) =>
    runCommand(file, args, { env: MINIMAL_COMMAND_ENV, timeoutMs: commandTimeoutMs });
  let version: BastilleVersion | undefined;

  const cli: BastilleCli = {
    async bastille(args) {
      const result = await run(commands.bastille, args);
      logger.info({ command: describeCommand('bastille', args), exitCode: result.exitCode }, 'bastille');
      return result;
    },
    async jexec(jail, user, argv) {
      return run(commands.jexec, ['-l', '-U', user, jail, ...argv]);
    },
    async sysctl(oid) {
      return run(commands.sysctl, ['-n', oid]);
    },
    async listJails() {
      const args = ['list', 'jails'];
      const result = await run(commands.bastille, args);
      if (result.exitCode !== 0) {
        throw driverFailed(describeCommand(commands.bastille, args), result, 'the jails could not be listed');
      }
      return new Set(
        result.stdout
          .split('\n')
          .map((line) => line.trim())
          .filter((line) => line !== ''),
      );
    },
    async version() {
      if (version !== undefined) return version;
      const result = await run(commands.bastille, ['--version']);
      const parsed =
        result.exitCode === 0 ? parseBastilleVersion(`${result.stdout}\n${result.stderr}`) : undefined;
      if (parsed === undefined) {
        throw driverFailed(
          describeCommand(commands.bastille, ['--version']),
          result,
          'no version could be read from it',
        );
      }
      version = parsed;
      return parsed;
    },
  };
  return cli;
}
