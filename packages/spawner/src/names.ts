import { ColibriError } from '@colibri/errors';
import { parseAgentName, parseCapabilities, parseJailName, parseTenantName } from '@colibri/protocol';
import type { AgentLaunch, JailSpec } from './jail-driver.js';

/**
 * Drivers re-validate every name before it reaches a path or argv, even though callers already
 * did (defence in depth): `COLIBRI_INVALID_NAME` before anything runs.
 */
export function checkJailName(name: unknown): string {
  return parseJailName(name);
}

/** Validates a {@link JailSpec}: jail, agent and tenant names. */
export function checkJailSpec(spec: JailSpec): JailSpec {
  if (typeof spec !== 'object' || spec === null) {
    throw new ColibriError(
      'COLIBRI_INVALID_INPUT',
      'a jail spec must be an object {name, agentName, tenant}',
    );
  }
  return Object.freeze({
    name: parseJailName(spec.name),
    agentName: parseAgentName(spec.agentName),
    tenant: parseTenantName(spec.tenant),
  });
}

/** Validates the names and tags of an {@link AgentLaunch} (the daemon endpoint is the driver's to check). */
export function checkLaunchNames(launch: AgentLaunch): {
  agentName: string;
  tenant: string;
  capabilities: readonly string[] | null;
} {
  if (typeof launch !== 'object' || launch === null) {
    throw new ColibriError(
      'COLIBRI_INVALID_INPUT',
      'an agent launch must be an object {agentName, tenant, …}',
    );
  }
  return {
    agentName: parseAgentName(launch.agentName),
    tenant: parseTenantName(launch.tenant),
    capabilities:
      launch.capabilities === null ? null : parseCapabilities(launch.capabilities, 'launch.capabilities'),
  };
}
