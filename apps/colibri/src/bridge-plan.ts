import { isIP } from 'node:net';
import { ColibriError } from '@colibri/errors';

/** Addresses that mean "every interface": a bridge bound there is reachable from any network. */
const EVERY_INTERFACE = new Set(['0.0.0.0', '::', '[::]']);

/** The exact bridge for one address: the socat argv and the lines an operator pastes into rc.conf or a systemd env file. */
export interface BridgePlan {
  readonly address: string;
  readonly port: number;
  readonly socketPath: string;
  /** socat's argv (no shell involved). */
  readonly socatArgs: readonly string[];
  /** The same as one shell line, for people. */
  readonly command: string;
  readonly rcConf: readonly string[];
  readonly systemdEnv: readonly string[];
  readonly warnings: readonly string[];
}

/**
 * Builds the socat bridge from the daemon's Unix socket to exactly one TCP address. Refuses
 * every-interface addresses unless `force`, anything that is not an IP literal (a host name could
 * resolve to a public address), and ports outside 1–65535. `localAddresses` (this host's
 * interface addresses) only produces a warning when the address is not among them.
 */
export function planBridge(options: {
  address: string;
  port: number;
  socketPath: string;
  force: boolean;
  localAddresses: readonly string[];
}): BridgePlan {
  const { address, port, socketPath, force } = options;
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  if (EVERY_INTERFACE.has(address) || EVERY_INTERFACE.has(bare)) {
    if (!force) {
      throw new ColibriError(
        'COLIBRI_INVALID_INPUT',
        `refusing to bind the bridge to ${address} (every interface): give this host's tailnet address ` +
          "(e.g. the output of 'tailscale ip -4'), or pass --force if you really mean every network",
        { flag: 'address' },
      );
    }
  } else if (isIP(bare) === 0) {
    throw new ColibriError(
      'COLIBRI_INVALID_INPUT',
      `--address must be an IP address (the tailnet address, e.g. 100.64.0.1), not ${JSON.stringify(address)}`,
      { flag: 'address' },
    );
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ColibriError('COLIBRI_INVALID_INPUT', `--port must be 1–65535, not ${port}`, { flag: 'port' });
  }
  if (/[\s,:!]/.test(socketPath)) {
    throw new ColibriError(
      'COLIBRI_INVALID_INPUT',
      `the socket path ${JSON.stringify(socketPath)} contains a character socat treats specially (space , : !); move COLIBRI_HOME`,
      { flag: 'socket' },
    );
  }
  const family = isIP(bare) === 6 ? 'TCP6-LISTEN' : 'TCP-LISTEN';
  const bind = isIP(bare) === 6 ? `[${bare}]` : bare;
  const socatArgs = [`${family}:${port},bind=${bind},reuseaddr,fork`, `UNIX-CONNECT:${socketPath}`];
  const warnings: string[] = [];
  if (!EVERY_INTERFACE.has(bare) && !options.localAddresses.includes(bare)) {
    warnings.push(`${bare} is not an address of this host right now; socat will fail to bind until it is`);
  }
  return {
    address: bare,
    port,
    socketPath,
    socatArgs,
    command: ['socat', ...socatArgs].join(' '),
    rcConf: [
      'colibri_bridge_enable="YES"',
      `colibri_bridge_address="${bare}"`,
      `colibri_bridge_port="${port}"`,
      `colibri_bridge_socket="${socketPath}"`,
      ...(EVERY_INTERFACE.has(bare) ? ['colibri_bridge_force_any="YES"'] : []),
    ],
    systemdEnv: [`COLIBRI_BRIDGE_ADDRESS=${bare}`, `COLIBRI_BRIDGE_PORT=${port}`],
    warnings,
  };
}
