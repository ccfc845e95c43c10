// The one module that imports the HTTP client's implementation: the base command loads it lazily,
// so `colibri --help` and local-only commands never pay for it.
import { type ColibriClient, createClient } from '@colibri/client';
import type { CliConfig } from './resolve-config.js';

/** A client for the daemon `config` names, presenting its token (if any). */
export function connect(config: CliConfig): ColibriClient {
  return createClient({
    ...(config.target.kind === 'socket'
      ? { socketPath: config.target.socketPath }
      : { url: config.target.url }),
    ...(config.token === undefined ? {} : { token: config.token }),
  });
}
