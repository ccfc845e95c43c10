import { isIPv4, isIPv6 } from 'node:net';

/** A TCP address to listen on, exactly as the operator wrote it. */
export interface ListenAddress {
  /** An IP literal (IPv6 without brackets). Never a name: a name may resolve to several addresses. */
  readonly host: string;
  readonly port: number;
}

/**
 * Parses `ADDR:PORT` (`100.64.0.1:9190`, `127.0.0.1:9190`, `[fd7a::1]:9190`). The address must be
 * an IP literal, so the daemon binds exactly where the operator said: `0.0.0.0` only when written.
 * Returns an error message instead when `text` is not such an address.
 */
export function parseListenAddress(text: string): ListenAddress | string {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  const example = 'use ADDR:PORT with an IP address, e.g. 100.64.0.1:9190 or [fd7a:115c:a1e0::1]:9190';
  if (match === null) return `${JSON.stringify(text)} is not ADDR:PORT; ${example}`;
  const host = match[1] ?? match[2] ?? '';
  const port = Number(match[3]);
  if (match[1] !== undefined ? !isIPv6(host) : !isIPv4(host)) {
    return `${JSON.stringify(host)} is not an IP address (names are refused: they may resolve to several addresses); ${example}`;
  }
  if (port < 1 || port > 65535) return `port ${port} is out of range 1-65535`;
  return { host, port };
}
