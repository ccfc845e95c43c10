import { ColibriError } from '@colibri/errors';
import type { DaemonEndpoint } from '../jail-driver.js';
import type { ProxyTarget } from './socket-proxy.js';

/**
 * Where the keeper pipes the per-jail socket: colibrid's Unix socket, or the host:port of an
 * `http://` URL. The agent inside always talks plain HTTP to /run/colibri/colibri.sock, so an
 * `https://` URL cannot be proxied byte for byte and is refused.
 */
export function daemonTarget(daemon: DaemonEndpoint): ProxyTarget {
  const invalid = (message: string): never => {
    throw new ColibriError('COLIBRI_INVALID_INPUT', `launch.daemon: ${message}`, { field: 'launch.daemon' });
  };
  if (typeof daemon !== 'object' || daemon === null) return invalid('must be {socketPath} or {url}');
  const hasSocket = daemon.socketPath !== undefined;
  const hasUrl = daemon.url !== undefined;
  if (hasSocket === hasUrl) return invalid('give exactly one of socketPath and url');
  if (hasSocket) {
    const path = daemon.socketPath;
    if (typeof path !== 'string' || !path.startsWith('/') || path.includes('\0')) {
      return invalid(`socketPath must be an absolute path, got ${JSON.stringify(path)}`);
    }
    return { socketPath: path };
  }
  let url: URL;
  try {
    url = new URL(String(daemon.url));
  } catch {
    return invalid(`url ${JSON.stringify(daemon.url)} is not a URL`);
  }
  if (url.protocol !== 'http:') {
    return invalid(`url must be http:// (the per-jail socket is proxied as plain TCP), got ${url.protocol}`);
  }
  if (url.username !== '' || url.password !== '') return invalid('url must not carry credentials');
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port: url.port === '' ? 80 : Number(url.port) };
}
