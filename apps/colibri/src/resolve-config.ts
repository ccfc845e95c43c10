import { resolve } from 'node:path';
import { ColibriError } from '@colibri/errors';
import { colibriPaths, defaultColibriHome } from '@colibri/protocol';

/** The global flags every command accepts, as parsed (absent = undefined). */
export interface GlobalFlags {
  readonly home?: string | undefined;
  readonly socket?: string | undefined;
  readonly url?: string | undefined;
  readonly token?: string | undefined;
}

/** What configuration resolution reads from the process; the base command passes the real values. */
export interface ConfigSources {
  /** The process environment: `COLIBRI_HOME`, `COLIBRI_SOCKET`, `COLIBRI_URL`, `COLIBRI_TOKEN`, `XDG_STATE_HOME`. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly platform: NodeJS.Platform;
  /** Effective uid (0 = root); -1 where the platform has none. */
  readonly uid: number;
  readonly homedir: string;
  /** The working directory, to make a relative `--home`/`--socket` absolute. */
  readonly cwd: string;
  /** A file's text, or undefined when it cannot be read (missing, no permission). */
  readonly readTextFile: (path: string) => string | undefined;
}

/** Where the token came from, so an authentication error can say which one the daemon refused. */
export type TokenSource = 'flag' | 'env' | 'file' | 'none';

/** The daemon to talk to: its Unix socket or a TCP base URL (e.g. through the socat bridge). */
export type DaemonTarget =
  | { readonly kind: 'socket'; readonly socketPath: string }
  | { readonly kind: 'url'; readonly url: string };

/** Everything a command needs to reach the daemon, resolved once (flags > env > files > defaults). */
export interface CliConfig {
  /** `COLIBRI_HOME`, absolute. */
  readonly home: string;
  readonly target: DaemonTarget;
  /** The bearer token; never print it. Undefined when no source had one. */
  readonly token: string | undefined;
  readonly tokenSource: TokenSource;
  /** The operator token file consulted last (`$home/operator.token`). */
  readonly tokenFile: string;
}

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === '' ? undefined : value.trim();

/** Checks `--url` is an http(s) base URL without credentials in it (the token travels in a header). */
function parseDaemonUrl(input: string, label = '--url'): string {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new ColibriError(
      'COLIBRI_INVALID_INPUT',
      `${label} ${JSON.stringify(input)} is not a URL; use e.g. http://100.64.0.1:9190`,
      { flag: 'url' },
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ColibriError(
      'COLIBRI_INVALID_INPUT',
      `${label} must be http:// or https://, got ${url.protocol}`,
      {
        flag: 'url',
      },
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw new ColibriError(
      'COLIBRI_INVALID_INPUT',
      `${label} must not carry credentials; pass the token with COLIBRI_TOKEN or --token`,
      { flag: 'url' },
    );
  }
  return url.href.replace(/\/+$/, '');
}

/**
 * Resolves where the daemon is and which token to present, once per command:
 * home = `--home` > `COLIBRI_HOME` > the platform default; target = `--url` | `--socket` >
 * `COLIBRI_URL` | `COLIBRI_SOCKET` > `$home/colibri.sock`;
 * token = `--token` > `COLIBRI_TOKEN` > `$home/operator.token` when readable. Empty values count as absent.
 */
export function resolveConfig(flags: GlobalFlags, sources: ConfigSources): CliConfig {
  const homeInput =
    nonEmpty(flags.home) ??
    nonEmpty(sources.env.COLIBRI_HOME) ??
    defaultColibriHome({
      platform: sources.platform,
      uid: sources.uid,
      homedir: sources.homedir,
      xdgStateHome: nonEmpty(sources.env.XDG_STATE_HOME),
    });
  const home = resolve(sources.cwd, homeInput);
  const paths = colibriPaths(home);

  let url = nonEmpty(flags.url);
  let socket = nonEmpty(flags.socket);
  let urlLabel = '--url';
  if (url !== undefined && socket !== undefined) {
    throw new ColibriError('COLIBRI_INVALID_INPUT', '--url and --socket are mutually exclusive; pass one', {
      flag: 'url',
    });
  }
  if (url === undefined && socket === undefined) {
    // What a mother hands its handlers (so their own `colibri` calls reach the same daemon); flags win.
    url = nonEmpty(sources.env.COLIBRI_URL);
    socket = nonEmpty(sources.env.COLIBRI_SOCKET);
    urlLabel = 'COLIBRI_URL';
    if (url !== undefined && socket !== undefined) {
      throw new ColibriError(
        'COLIBRI_INVALID_INPUT',
        'COLIBRI_URL and COLIBRI_SOCKET are both set; unset one, or pass --socket or --url',
        { flag: 'url' },
      );
    }
  }
  const target: DaemonTarget =
    url !== undefined
      ? { kind: 'url', url: parseDaemonUrl(url, urlLabel) }
      : { kind: 'socket', socketPath: socket === undefined ? paths.socket : resolve(sources.cwd, socket) };

  let token = nonEmpty(flags.token);
  let tokenSource: TokenSource = 'flag';
  if (token === undefined) {
    token = nonEmpty(sources.env.COLIBRI_TOKEN);
    tokenSource = 'env';
  }
  if (token === undefined) {
    token = nonEmpty(sources.readTextFile(paths.operatorToken));
    tokenSource = 'file';
  }
  if (token === undefined) tokenSource = 'none';

  return Object.freeze({ home, target, token, tokenSource, tokenFile: paths.operatorToken });
}
