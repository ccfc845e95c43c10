import type { CliConfig, DaemonTarget } from './resolve-config.js';

/** The daemon's address for messages: `unix socket /…/colibri.sock` or the URL. */
export function describeTarget(target: DaemonTarget): string {
  return target.kind === 'socket' ? `unix socket ${target.socketPath}` : target.url;
}

/** Where the token came from, for messages (never the token itself). */
export function describeTokenSource(config: CliConfig): string {
  switch (config.tokenSource) {
    case 'flag':
      return 'the token from --token';
    case 'env':
      return 'the token from COLIBRI_TOKEN';
    case 'file':
      return `the operator token in ${config.tokenFile}`;
    case 'none':
      return `no token (no --token, no COLIBRI_TOKEN, ${config.tokenFile} not readable)`;
  }
}
