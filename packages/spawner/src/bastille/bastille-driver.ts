import { join } from 'node:path';
import { ColibriError } from '@colibri/errors';
import type { JailDriver, JailStatus } from '../jail-driver.js';
import { checkJailName } from '../names.js';
import { createBastilleCli } from './bastille-cli.js';
import { type BastilleDriverOptions, resolveBastilleDriverOptions } from './bastille-driver-options.js';
import { readBastilleRecord } from './bastille-jail-record.js';
import { AGENT_LOG_NAME, createBastilleJails } from './bastille-jails.js';
import { bastillePreflight, type EuidProbe } from './bastille-preflight.js';
import { bootstrapJail } from './bootstrap-jail.js';
import { createJail } from './create-jail.js';
import { destroyJail } from './destroy-jail.js';
import { bastilleLaunchSettings, startAgent } from './start-agent.js';
import { DEFAULT_GRACE_MS, stopAgentOf } from './stop-agent.js';

export { AGENT_LOG_NAME, AGENT_PIDFILE_NAME } from './bastille-jails.js';
export { PACKAGE_MOUNT } from './bootstrap-jail.js';
export { HANDLERS_MOUNT } from './start-agent.js';

/** Seams for tests of pure decisions (the effective uid); production uses the real process. */
export interface BastilleDriverSeams {
  readonly euid?: EuidProbe;
}

/**
 * The Bastille jail driver (FreeBSD): everything per JAIL-FACTS.md.
 * - Bastille resolves a TARGET by prefix: before every mutating `bastille` call the exact name is
 *   checked in `bastille list jails` (exact line); `jexec` is used for everything inside a jail
 *   (it takes exact names only). `list -j` is never parsed, error texts are never matched.
 * - Exit codes are not trusted: the state is verified after every change (listed, running, user,
 *   home, mounts, the agent's pidfile) and a mismatch is `COLIBRI_JAIL_DRIVER_FAILED` naming the
 *   command and what was seen.
 * - Flags follow the recorded `bastille --version` (destroy: `-y` on 1.x only).
 * - `<prefix>/jails/<NAME>/colibri.json` (root 0600, outside the jail's root/) marks jails colibri
 *   created, written only once the jail is verified; a jail without it is never touched.
 * - The agent runs `jexec -l -U <agentUser> NAME /usr/sbin/daemon -f -p ~/.colibri-agent.pid -o
 *   ~/agent.log <entry> run-agent …`: as the jail user, supervised by daemon(8), with jexec's login
 *   environment only. Secrets never pass through argv or `bastille cp`: the join chain writes
 *   `.env` into {@link JailInfo.home} with the vault writer.
 *
 * One file per step: `create-jail.ts`, `bootstrap-jail.ts`, `start-agent.ts`, `stop-agent.ts`,
 * `destroy-jail.ts`; what they share (paths, the exact-name and state checks, one operation per
 * jail at a time) is `bastille-jails.ts`, the nullfs mounts `jail-mounts.ts`.
 */
export function createBastilleDriver(
  options: BastilleDriverOptions,
  seams: BastilleDriverSeams = {},
): JailDriver {
  const resolved = resolveBastilleDriverOptions(options);
  const cli = createBastilleCli(resolved);
  const euid = seams.euid ?? (() => process.geteuid?.() ?? -1);
  const jails = createBastilleJails(resolved, cli);

  return {
    kind: 'bastille',

    preflight() {
      return bastillePreflight(resolved, cli, euid);
    },

    async inspect(name): Promise<JailStatus> {
      checkJailName(name);
      if (!(await cli.listJails()).has(name)) return { exists: false };
      const record = await readBastilleRecord(jails.jailBase(name), name);
      if (record === undefined) return { exists: true, info: null, agent: 'stopped' };
      return {
        exists: true,
        info: jails.infoOf(record),
        agent: (await jails.agentRunning(name, record.user)) ? 'running' : 'stopped',
        ...(record.launched === undefined ? {} : { launched: record.launched }),
      };
    },

    create: (spec) => createJail(jails, spec),

    bootstrap: (name, runtime) => bootstrapJail(jails, name, runtime),

    startAgent: (name, launch) => startAgent(jails, name, launch),

    async stopAgent(name, stopOptions = {}) {
      checkJailName(name);
      const graceMs = stopOptions.graceMs ?? DEFAULT_GRACE_MS;
      if (!Number.isInteger(graceMs) || graceMs < 0) {
        throw new ColibriError('COLIBRI_INVALID_INPUT', 'graceMs must be a non-negative integer (ms)', {
          field: 'graceMs',
        });
      }
      return jails.serialized(name, async () => stopAgentOf(jails, name, await jails.ownJail(name), graceMs));
    },

    async destroy(name) {
      checkJailName(name);
      return jails.serialized(name, () => destroyJail(jails, name));
    },

    agentLogPath(name) {
      checkJailName(name);
      return join(jails.hostHome(name), AGENT_LOG_NAME);
    },

    launchSettings: bastilleLaunchSettings,
  };
}
