import { describeCommand, driverFailed } from './bastille-cli.js';
import type { BastilleJailRecord } from './bastille-jail-record.js';
import type { BastilleJails } from './bastille-jails.js';

/** How long a stopping agent may drain after SIGTERM before it gets SIGKILL. */
export const DEFAULT_GRACE_MS = 15_000;
const KILL_GUARD_MS = 10_000;

/** SIGTERM to the agent behind daemon(8)'s pidfile, SIGKILL after `graceMs`, verified gone. */
export async function stopAgentOf(
  jails: BastilleJails,
  name: string,
  record: BastilleJailRecord,
  graceMs: number,
): Promise<'stopped' | 'not-running'> {
  const { cli, pidfile } = jails;
  const user = record.user;
  if (!(await jails.agentRunning(name, user))) return 'not-running';
  await cli.jexec(name, user, ['/bin/pkill', '-TERM', '-L', '-F', pidfile]);
  if (await jails.pollUntil(async () => !(await jails.agentRunning(name, user)), graceMs)) return 'stopped';
  jails.options.logger.warn({ jail: name, graceMs }, 'the agent did not drain in time: SIGKILL');
  const argv = ['/bin/pkill', '-KILL', '-L', '-F', pidfile];
  const killed = await cli.jexec(name, user, argv);
  if (await jails.pollUntil(async () => !(await jails.agentRunning(name, user)), KILL_GUARD_MS))
    return 'stopped';
  throw driverFailed(
    describeCommand('jexec', ['-l', '-U', user, name, ...argv]),
    killed,
    `the agent in jail ${name} is still running`,
    {
      jail: name,
    },
  );
}
