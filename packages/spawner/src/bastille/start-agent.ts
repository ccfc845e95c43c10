import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { ColibriError } from '@colibri/errors';
import type { AgentLaunch, AgentRuntime } from '../jail-driver.js';
import { checkLaunchAgainstRecord } from '../launch-checks.js';
import { type LaunchSettings, normalizeLaunchSettings } from '../launch-settings.js';
import { checkJailName, checkLaunchNames } from '../names.js';
import { agentDaemonArgv, checkBastilleLaunch } from './agent-launch.js';
import { describeCommand, driverFailed } from './bastille-cli.js';
import { writeBastilleRecord } from './bastille-jail-record.js';
import { AGENT_LOG_NAME, type BastilleJails } from './bastille-jails.js';
import { mountReadOnly, unmount } from './jail-mounts.js';

// The start step: the handlers mounted read-only, `run-agent` started as the jail user under
// daemon(8), verified alive behind its pidfile, and the launch settings recorded.

/** Where `launch.handlersDir` is mounted (read-only nullfs) inside a jail; passed as `--handlers`. */
export const HANDLERS_MOUNT = '/opt/colibri/handlers';
/** A bastille jail's network is its own address (`bastille create … IP`): nothing to choose per launch. */
const BASTILLE_NETWORK = 'jail';

/** What a launch would run with (`JailDriver.launchSettings`), as start-agent records it. */
export function bastilleLaunchSettings(
  launch: AgentLaunch,
  runtime: Pick<AgentRuntime, 'entry'>,
): LaunchSettings {
  return normalizeLaunchSettings({
    capabilities: launch.capabilities,
    handlersDir: launch.handlersDir ?? null,
    network: BASTILLE_NETWORK,
    runtime: runtime.entry,
  });
}

export async function startAgent(
  jails: BastilleJails,
  name: string,
  launch: AgentLaunch,
): Promise<'started' | 'already-running'> {
  const {
    cli,
    options,
    jailBase,
    hostHome,
    pidfile,
    agentLog,
    ownJail,
    ensureJailRunning,
    agentRunning,
    pollUntil,
    serialized,
  } = jails;
  const { logger } = options;
  checkJailName(name);
  const names = checkLaunchNames(launch);
  const { url, handlersDir } = checkBastilleLaunch(launch, name);
  return serialized(name, async () => {
    if (
      handlersDir !== null &&
      !(await lstat(handlersDir).then(
        (stat) => stat.isDirectory(),
        () => false,
      ))
    ) {
      // Bastille's mount would create a missing host path: refuse instead.
      throw new ColibriError(
        'COLIBRI_INVALID_INPUT',
        `launch.handlersDir ${handlersDir} is not a directory`,
        {
          field: 'launch.handlersDir',
        },
      );
    }
    const record = await ownJail(name);
    const runtime = checkLaunchAgainstRecord(name, record, names);
    await ensureJailRunning(name);
    if (await agentRunning(name, record.user)) return 'already-running' as const;
    if (handlersDir === null) await unmount(jails, name, HANDLERS_MOUNT);
    else await mountReadOnly(jails, name, handlersDir, HANDLERS_MOUNT);
    const argv = agentDaemonArgv({
      pidfile,
      log: agentLog,
      entry: runtime.entry,
      agentName: names.agentName,
      tenant: names.tenant,
      capabilities: names.capabilities,
      url,
      handlers: handlersDir === null ? null : HANDLERS_MOUNT,
    });
    const command = describeCommand('jexec', ['-l', '-U', record.user, name, ...argv]);
    const started = await cli.jexec(name, record.user, argv);
    if (started.exitCode !== 0) {
      throw driverFailed(
        command,
        started,
        `the agent of jail ${name} did not start (see ${join(hostHome(name), AGENT_LOG_NAME)})`,
        {
          jail: name,
        },
      );
    }
    if (!(await pollUntil(() => agentRunning(name, record.user), options.startTimeoutMs))) {
      throw driverFailed(
        command,
        started,
        `no live agent is behind ${pidfile} in jail ${name} (see ${join(hostHome(name), AGENT_LOG_NAME)})`,
        {
          jail: name,
        },
      );
    }
    const launched = normalizeLaunchSettings({
      capabilities: names.capabilities,
      handlersDir: launch.handlersDir ?? null,
      network: BASTILLE_NETWORK,
      runtime: runtime.entry,
    });
    await writeBastilleRecord(jailBase(name), {
      ...record,
      launched: {
        ...launched,
        capabilities: launched.capabilities === null ? null : [...launched.capabilities],
      },
    });
    logger.info({ jail: name, agentName: names.agentName }, 'agent started');
    return 'started' as const;
  });
}
