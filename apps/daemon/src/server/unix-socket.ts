import { lstatSync, unlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { ColibriError } from '@colibri/errors';

/** True when something accepts connections on the Unix socket at `path`. */
function answers(path: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = connect({ path });
    const done = (result: boolean | Error) => {
      socket.destroy();
      clearTimeout(timer);
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    // Connected but silent is still alive: a daemon is there.
    const timer = setTimeout(() => done(true), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', (error: Error & { code?: string }) => {
      if (error.code === 'ECONNREFUSED' || error.code === 'ENOENT') done(false);
      else done(error);
    });
  });
}

/**
 * Removes a stale socket left by a daemon that died (`kill -9` leaves it behind), safely: only if
 * the path is a socket and nobody answers on it. A live daemon is `COLIBRI_DAEMON_ALREADY_RUNNING`;
 * anything that is not a socket is refused, never deleted.
 */
export async function clearStaleSocket(path: string): Promise<'absent' | 'removed'> {
  let stats: ReturnType<typeof lstatSync>;
  try {
    stats = lstatSync(path);
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return 'absent';
    throw error;
  }
  if (!stats.isSocket()) {
    throw new ColibriError(
      'COLIBRI_INVALID_INPUT',
      `${path} exists and is not a socket; refusing to remove it (move it away or pass another --socket)`,
      { path },
    );
  }
  if (await answers(path)) {
    throw new ColibriError(
      'COLIBRI_DAEMON_ALREADY_RUNNING',
      `another colibrid is already serving on ${path}; stop it first, or give this one its own --home or --socket`,
      { path },
    );
  }
  unlinkSync(path);
  return 'removed';
}
