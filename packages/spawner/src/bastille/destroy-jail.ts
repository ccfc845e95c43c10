import { describeCommand, driverFailed } from './bastille-cli.js';
import { type BastilleJails, pathExists } from './bastille-jails.js';
import { destroyArgs } from './bastille-version.js';
import { DEFAULT_GRACE_MS, stopAgentOf } from './stop-agent.js';

/** Stops (if running) and destroys a jail this driver owns, verifying each step. */
export async function removeJail(jails: BastilleJails, name: string): Promise<void> {
  const { cli } = jails;
  const version = await cli.version();
  if (await jails.jailRunning(name)) {
    const args = ['stop', name];
    const stopped = await jails.bastilleOn(name, args);
    if (await jails.jailRunning(name)) {
      throw driverFailed(describeCommand('bastille', args), stopped, `jail ${name} is still running`, {
        jail: name,
      });
    }
  }
  const args = destroyArgs(version, name);
  const destroyed = await jails.bastilleOn(name, args);
  const listed = (await cli.listJails()).has(name);
  const left = await pathExists(jails.jailBase(name));
  if (listed || left) {
    throw driverFailed(
      describeCommand('bastille', args),
      destroyed,
      listed ? `jail ${name} is still listed` : `${jails.jailBase(name)} is still there`,
      { jail: name },
    );
  }
  jails.options.logger.info({ jail: name }, 'jail destroyed');
}

/** `JailDriver.destroy` (the name already checked): the agent stopped, then the jail removed. */
export async function destroyJail(jails: BastilleJails, name: string): Promise<'destroyed' | 'absent'> {
  if (!(await jails.cli.listJails()).has(name)) return 'absent';
  const record = await jails.ownJail(name);
  await stopAgentOf(jails, name, record, DEFAULT_GRACE_MS);
  await removeJail(jails, name);
  return 'destroyed';
}
