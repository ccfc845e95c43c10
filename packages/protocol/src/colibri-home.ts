import { join } from 'node:path';

/** What {@link defaultColibriHome} needs to know about the process; the apps pass the real values. */
export interface HomeContext {
  readonly platform: NodeJS.Platform;
  /** Effective uid (0 = root). */
  readonly uid: number;
  /** The user's home directory. */
  readonly homedir: string;
  /** `XDG_STATE_HOME`, when set. */
  readonly xdgStateHome?: string | undefined;
}

/**
 * Where colibri keeps its database, socket and operator token when `COLIBRI_HOME` is not set:
 * `/var/db/colibri` as root on FreeBSD, `/var/lib/colibri` as root on Linux,
 * `$XDG_STATE_HOME/colibri` (default `~/.local/state/colibri`) otherwise.
 */
export function defaultColibriHome(context: HomeContext): string {
  if (context.uid === 0 && context.platform === 'freebsd') return '/var/db/colibri';
  if (context.uid === 0 && context.platform === 'linux') return '/var/lib/colibri';
  return join(context.xdgStateHome || join(context.homedir, '.local', 'state'), 'colibri');
}

/** The files colibri keeps in its home. */
export function colibriPaths(home: string): { socket: string; database: string; operatorToken: string } {
  return {
    socket: join(home, 'colibri.sock'),
    database: join(home, 'colibri.db'),
    operatorToken: join(home, 'operator.token'),
  };
}
