import type { AgentIdentity, IdentityField, IdentityOrigin, ResolvedIdentity } from '@colibri/mother';
import { formatTable } from './format-table.js';

/** One identity value on one line. */
export function formatIdentityValue(field: IdentityField, identity: AgentIdentity): string {
  switch (field) {
    case 'tenant':
      return identity.tenant ?? '- (shared lane)';
    case 'capabilities':
      return identity.capabilities === null
        ? '- (advertise what the probe finds)'
        : identity.capabilities.join(',') || '(none)';
    case 'forceCapabilities':
      return identity.forceCapabilities.join(',') || '-';
    case 'daemon':
      return 'socketPath' in identity.daemon
        ? `socket ${identity.daemon.socketPath}`
        : `url ${identity.daemon.url}`;
    case 'envFile':
      return identity.envFile ?? '- (no secrets)';
    case 'spawnPolicy': {
      const policy = identity.spawnPolicy;
      if (policy.maxChildren === 0 || policy.maxDepth === 0) return 'forbidden (no self-replication)';
      return [
        `maxChildren ${policy.maxChildren}`,
        `maxDepth ${policy.maxDepth}`,
        `tenants ${policy.allowedTenants.join(',') || '-'}`,
        `shared lane ${policy.allowSharedLane ? 'yes' : 'no'}`,
        `capabilities ${policy.allowedCapabilities.join(',') || '-'}`,
      ].join(', ');
    }
    default:
      return String(identity[field]);
  }
}

/** Where a value came from: `agent (/etc/colibri/identity/agent.yaml)`, `flag`, `default`. */
export function formatOrigin(origin: IdentityOrigin): string {
  return origin.file === undefined ? origin.layer : `${origin.layer} (${origin.file})`;
}

/** `colibri identity` in human mode: every field, its value and the layer it came from. */
export function formatIdentity(resolved: ResolvedIdentity, fields: readonly IdentityField[]): string {
  return formatTable(
    ['FIELD', 'VALUE', 'FROM'],
    fields.map((field) => [
      field,
      formatIdentityValue(field, resolved.identity),
      formatOrigin(resolved.origins[field]),
    ]),
  );
}
