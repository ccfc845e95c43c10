import { ColibriError } from '@colibri/errors';
import type { JailInfo, JailStatus } from '@colibri/spawner';
import { type LaunchSettings, launchSettingsChanges } from '@colibri/spawner';
import type { HiveAgent, HiveTenant } from './hive-port.js';

/** What the join chain found before changing anything. */
export interface SpawnSituation {
  readonly agentName: string;
  readonly tenant: HiveTenant;
  /** The registered (non-retired) agent of that name, if any. */
  readonly agent: HiveAgent | undefined;
  /** The tenant's jail as the driver sees it. */
  readonly jail: JailStatus;
  /** The runtime version the chain bootstraps. */
  readonly runtimeVersion: string;
  /** The settings the request would run the agent with (`JailDriver.launchSettings`). */
  readonly wanted: LaunchSettings;
}

/** What to do about it. */
export type SpawnAssessment =
  /** No jail: the whole chain runs. */
  | { readonly kind: 'fresh' }
  /** Everything is in place: nothing to do. */
  | { readonly kind: 'healthy'; readonly info: JailInfo; readonly agent: HiveAgent }
  /** Our jail, something missing: steps already satisfied are skipped. */
  | {
      readonly kind: 'repair';
      readonly info: JailInfo;
      readonly agentRunning: boolean;
      /** The agent's registration from before (kept: it holds its own agent token in the jail). */
      readonly registered: HiveAgent | undefined;
      /** What is wrong, one phrase each, e.g. `agent not running`. */
      readonly problems: readonly string[];
      /**
       * How the RUNNING agent's settings differ from the request (`capabilities a → b`, `network
       * none → host`): it is reconfigured. [] when it runs as asked, or is not running at all.
       */
      readonly reconfigure: readonly string[];
      /** The running agent's settings, to restart it with if the reconfiguration fails. */
      readonly launched: LaunchSettings | undefined;
      /** Whether the runtime (not only its version) differs: bootstrap runs again. */
      readonly runtimeChanged: boolean;
    };

function owner(agent: HiveAgent): string {
  return agent.tenant === null ? 'the shared lane' : `tenant ${agent.tenant}`;
}

/**
 * Decides between a fresh spawn, nothing to do, and a repair — or refuses, before anything is
 * touched, when the jail or the name belongs to someone else:
 * - a jail of that name colibri did not create, or one holding another agent or tenant:
 *   `COLIBRI_JAIL_EXISTS` (someone else's jail is never changed, let alone rolled back);
 * - the agent name registered for another tenant (or the shared lane): `COLIBRI_AGENT_NAME_TAKEN`;
 * - the agent still registered while its jail is gone: `COLIBRI_AGENT_NAME_TAKEN` as well — its
 *   agent token was in that jail, so a new agent could not take the name; the message says how to
 *   retire the stale registration.
 */
export function assessSpawn(situation: SpawnSituation): SpawnAssessment {
  const { agentName, tenant, agent, jail, runtimeVersion, wanted } = situation;
  const jailName = tenant.jail;
  if (jail.exists && jail.info === null) {
    throw new ColibriError(
      'COLIBRI_JAIL_EXISTS',
      `jail ${jailName} exists but colibri did not create it (it has no colibri record), so it is left alone: ` +
        `remove it yourself, or register tenant ${tenant.tenant} with another jail name`,
      { jail: jailName, tenant: tenant.tenant },
    );
  }
  if (
    jail.exists &&
    jail.info !== null &&
    (jail.info.agentName !== agentName || jail.info.tenant !== tenant.tenant)
  ) {
    throw new ColibriError(
      'COLIBRI_JAIL_EXISTS',
      `jail ${jailName} already holds agent ${jail.info.agentName} of tenant ${jail.info.tenant}; it is left alone: ` +
        `tear that one down first (colibri destroy-agent ${jail.info.agentName} --tenant ${jail.info.tenant}) or spawn ` +
        `${jail.info.agentName} instead`,
      { jail: jailName, agentName: jail.info.agentName, tenant: jail.info.tenant },
    );
  }
  if (agent !== undefined && agent.tenant !== tenant.tenant) {
    throw new ColibriError(
      'COLIBRI_AGENT_NAME_TAKEN',
      `agent name ${agentName} is registered for ${owner(agent)} (agent id ${agent.id}), not tenant ${tenant.tenant}: ` +
        'choose another agent name',
      { agentName, agentId: agent.id, tenant: agent.tenant },
    );
  }
  if (!jail.exists) {
    if (agent !== undefined) {
      throw new ColibriError(
        'COLIBRI_AGENT_NAME_TAKEN',
        `agent ${agentName} (id ${agent.id}) is still registered for tenant ${tenant.tenant}, but its jail ` +
          `${jailName} is gone, and with it the agent's token: retire the stale registration first ` +
          `(colibri destroy-agent ${agentName} --tenant ${tenant.tenant}), then spawn again`,
        { agentName, agentId: agent.id, jail: jailName },
      );
    }
    return { kind: 'fresh' };
  }
  const info = jail.info as JailInfo;
  const problems: string[] = [];
  if (info.runtimeVersion === null) problems.push(`runtime ${runtimeVersion} not bootstrapped`);
  else if (info.runtimeVersion !== runtimeVersion) {
    problems.push(`runtime ${info.runtimeVersion} instead of ${runtimeVersion}`);
  }
  if (jail.agent !== 'running') problems.push('agent not running');
  if (agent === undefined) problems.push('agent not registered');
  else if (agent.status === 'offline') problems.push('agent offline');
  if (tenant.status !== 'active') problems.push(`tenant ${tenant.status}, not active`);
  const launched = jail.launched;
  const reconfigure = jail.agent === 'running' ? launchSettingsChanges(launched, wanted) : [];
  if (reconfigure.length > 0) problems.push(`settings differ (${reconfigure.join('; ')})`);
  if (problems.length === 0 && agent !== undefined) return { kind: 'healthy', info, agent };
  return {
    kind: 'repair',
    info,
    agentRunning: jail.agent === 'running',
    registered: agent,
    problems,
    reconfigure,
    launched,
    runtimeChanged: launched !== undefined && launched.runtime !== wanted.runtime,
  };
}
