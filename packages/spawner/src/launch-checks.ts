import { ColibriError } from '@colibri/errors';

/** The fields of a jail record (either driver's) that a start is checked against. */
export interface LaunchableRecord {
  readonly agentName: string;
  readonly tenant: string;
  readonly runtime: { readonly version: string; readonly entry: string } | null;
}

/**
 * The checks every driver's `startAgent` makes against its record before running anything: the
 * launch is for the agent and tenant the jail was created for (`COLIBRI_INVALID_INPUT`), and the
 * runtime is bootstrapped (`COLIBRI_RUNTIME_UNAVAILABLE`). Returns the runtime.
 */
export function checkLaunchAgainstRecord<R extends LaunchableRecord>(
  name: string,
  record: R,
  launch: { readonly agentName: string; readonly tenant: string },
): NonNullable<R['runtime']> {
  if (launch.agentName !== record.agentName || launch.tenant !== record.tenant) {
    throw new ColibriError(
      'COLIBRI_INVALID_INPUT',
      `jail ${name} was created for agent ${record.agentName} of tenant ${record.tenant}, not ${launch.agentName} of ${launch.tenant}`,
      { jail: name },
    );
  }
  if (record.runtime === null) {
    throw new ColibriError(
      'COLIBRI_RUNTIME_UNAVAILABLE',
      `jail ${name} has no agent runtime yet: bootstrap first`,
      {
        jail: name,
      },
    );
  }
  return record.runtime as NonNullable<R['runtime']>;
}
