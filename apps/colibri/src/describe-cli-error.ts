import type { ColibriError } from '@colibri/errors';
import { describeTarget, describeTokenSource } from './describe-config.js';
import { withHint } from './error-hints.js';
import type { CliConfig } from './resolve-config.js';
import { redact, toColibriError } from './to-colibri-error.js';

/** What only the CLI knows about a failed invocation, to complete and scrub its error. */
export interface CliErrorContext {
  /** The configuration, when it was resolved before the error (undefined: it failed or never ran). */
  readonly config: CliConfig | undefined;
  /** The command's own argv (a `--token` value on it is scrubbed). */
  readonly argv: readonly string[];
  /** The process environment (COLIBRI_TOKEN and the vault's BW_* credentials are scrubbed). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/**
 * `error` as the CLI reports it: a `ColibriError` whose one-line message is completed with which
 * daemon it tried, which token it sent and which command or flag helps next (lower layers name
 * none), and scrubbed of every secret the process may hold. The base command's `catch()` and the
 * fast path (`fast-path.ts`) both print exactly this.
 */
export function describeCliError(error: unknown, context: CliErrorContext): ColibriError {
  const colibriError = toColibriError(error);
  const message = redact(explain(colibriError, context.config), secretsOf(context));
  if (message === colibriError.message) return colibriError;
  return new (colibriError.constructor as typeof ColibriError)(
    colibriError.code,
    message,
    colibriError.details,
    { cause: colibriError },
  );
}

function explain(error: ColibriError, config: CliConfig | undefined): string {
  if (config === undefined) return withHint(error);
  if (error.code === 'COLIBRI_DAEMON_UNREACHABLE') {
    // The client names the socket or URL; add where that came from and how to point elsewhere.
    const target = describeTarget(config.target);
    const message = error.message.includes(target)
      ? error.message
      : `cannot reach colibrid at ${target}: ${error.message}`;
    return config.target.kind === 'socket'
      ? `${message} (home ${config.home}; point elsewhere with --home, --socket or --url)`
      : message;
  }
  if (error.code === 'COLIBRI_UNAUTHENTICATED') {
    return `${error.message} (sent ${describeTokenSource(config)})`;
  }
  return withHint(error);
}

/** Every token and vault credential this process may hold, to scrub from messages. */
function secretsOf({ config, argv, env }: CliErrorContext): (string | undefined)[] {
  const fromArgv: string[] = [];
  argv.forEach((arg, index) => {
    if (arg === '--token') fromArgv.push(argv[index + 1] ?? '');
    else if (arg.startsWith('--token=')) fromArgv.push(arg.slice('--token='.length));
  });
  // The vault scrubs its own errors; this is the last line for anything unexpected on the way out.
  const vault = [env.BW_CLIENTSECRET, env.BW_PASSWORD, env.BW_SESSION];
  return [config?.token, env.COLIBRI_TOKEN, ...fromArgv, ...vault];
}
