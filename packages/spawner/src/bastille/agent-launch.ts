import { ColibriError } from '@colibri/errors';
import type { AgentLaunch } from '../jail-driver.js';

/** What the bastille driver takes from an {@link AgentLaunch} besides the names. */
export interface BastilleLaunch {
  /** The URL the agent inside the jail reaches colibrid at (normalized). */
  readonly url: string;
  /** The host directory of handlers to mount read-only, or null. */
  readonly handlersDir: string | null;
}

/**
 * Checks the endpoint and handlers of a launch. A jail cannot reach the host's Unix socket, so a
 * socket-only endpoint is refused with the way out (the TCP bridge); a URL with credentials is
 * refused because it would sit on argv.
 */
export function checkBastilleLaunch(launch: AgentLaunch, jail: string): BastilleLaunch {
  const daemon = launch.daemon as AgentLaunch['daemon'] | undefined;
  const invalid = (message: string, field = 'launch.daemon'): never => {
    throw new ColibriError('COLIBRI_INVALID_INPUT', `${field}: ${message}`, { field, jail });
  };
  if (typeof daemon !== 'object' || daemon === null) return invalid('must be {url} for the bastille driver');
  if (daemon.url === undefined) {
    return invalid(
      'the bastille driver needs a url: a jail cannot reach the host’s Unix socket. Run the TCP bridge ' +
        '(`colibri bridge`) on an address the jail can reach and pass that URL',
    );
  }
  let url: URL;
  try {
    url = new URL(String(daemon.url));
  } catch {
    return invalid(`url ${JSON.stringify(daemon.url)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return invalid(`url must be http:// or https://, got ${url.protocol}`);
  }
  if (url.username !== '' || url.password !== '') {
    return invalid('url must not carry credentials (they would be on argv)');
  }
  let handlersDir: string | null = null;
  if (launch.handlersDir !== undefined) {
    const value: unknown = launch.handlersDir;
    if (typeof value !== 'string' || !value.startsWith('/') || value.includes('\0') || /\s/.test(value)) {
      return invalid('must be an absolute host path without spaces', 'launch.handlersDir');
    }
    handlersDir = value.length > 1 ? value.replace(/\/+$/, '') : value;
  }
  return { url: url.toString(), handlersDir };
}

/** The pieces of the agent's command line; none of them is a secret. */
export interface AgentDaemonArgs {
  readonly pidfile: string;
  readonly log: string;
  readonly entry: string;
  readonly agentName: string;
  readonly tenant: string;
  readonly capabilities: readonly string[] | null;
  readonly url: string;
  /** The handlers directory inside the jail, or null (the agent uses `<home>/handlers`). */
  readonly handlers: string | null;
}

/**
 * `daemon -f -p PIDFILE -o LOG <entry> run-agent …`: daemon(8) supervises the agent (the pidfile
 * stays locked while it runs, and goes when it exits), no restart loop (spawn-agent repairs).
 * No capabilities (null or empty) means no `--capabilities`: the agent advertises what it probes.
 */
export function agentDaemonArgv(args: AgentDaemonArgs): string[] {
  return [
    '/usr/sbin/daemon',
    '-f',
    '-p',
    args.pidfile,
    '-o',
    args.log,
    args.entry,
    'run-agent',
    '--name',
    args.agentName,
    '--tenant',
    args.tenant,
    ...(args.capabilities === null || args.capabilities.length === 0
      ? []
      : ['--capabilities', args.capabilities.join(',')]),
    '--url',
    args.url,
    ...(args.handlers === null ? [] : ['--handlers', args.handlers]),
  ];
}

/** True when `text` names `version` as a whole token (`colibri/0.1.0 freebsd-x64 …` names 0.1.0). */
export function mentionsVersion(text: string, version: string): boolean {
  const escaped = version.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^0-9A-Za-z.+-])${escaped}($|[^0-9A-Za-z.+-])`, 'm').test(text);
}
