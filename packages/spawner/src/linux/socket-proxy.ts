import { chmod, chown, lstat, unlink } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';

/** Where the proxy sends each connection: colibrid's Unix socket or a TCP address. */
export type ProxyTarget = { readonly socketPath: string } | { readonly host: string; readonly port: number };

/** A running per-jail socket proxy. */
export interface SocketProxy {
  close(): Promise<void>;
}

/**
 * Serves `socketPath` (owned by `owner`, mode 0600, set BEFORE the sandbox starts) and pipes every
 * connection to `target`, byte for byte: the agent in the jail reaches colibrid and nothing else.
 * The socket's directory must be root-owned so the jail user cannot swap the path between
 * listen and chown. A stale socket left by a killed keeper is removed; anything else at the path
 * is refused.
 */
export async function startSocketProxy(
  socketPath: string,
  owner: { readonly uid: number; readonly gid: number },
  target: ProxyTarget,
  log: (fields: Record<string, unknown>, message: string) => void,
): Promise<SocketProxy> {
  try {
    const stale = await lstat(socketPath);
    if (!stale.isSocket())
      throw new Error(`${socketPath} exists and is not a socket: refusing to replace it`);
    await unlink(socketPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream =
      'socketPath' in target
        ? connect({ path: target.socketPath })
        : connect({ host: target.host, port: target.port });
    open.add(client);
    open.add(upstream);
    const finish = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    upstream.on('error', (error) => {
      log({ error: error.message }, 'daemon connection failed');
      finish();
    });
    client.on('error', finish);
    client.on('close', finish);
    upstream.on('close', finish);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ path: socketPath, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  await chown(socketPath, owner.uid, owner.gid);
  await chmod(socketPath, 0o600);
  return {
    async close() {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await unlink(socketPath).catch(() => undefined);
    },
  };
}
