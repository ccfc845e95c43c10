import { join } from 'node:path';
import { readBastilleRecord } from './bastille/bastille-jail-record.js';
import type { JailDriverKind, JailOwner } from './jail-driver.js';
import { readJailRecord } from './linux/jail-record.js';
import { checkJailName } from './names.js';

/** Bastille's jails directory under its default prefix: what `jailsRoot` is for the bastille layout. */
export const DEFAULT_BASTILLE_JAILS_DIR = '/usr/local/bastille/jails';
/** The jail user both drivers create (bastille: `agentUser`, default `agent`). */
export const DEFAULT_AGENT_USER = 'agent';

/**
 * The host path of a jail user's home — the directory that receives `.env` — in a driver's
 * layout. The one place both the drivers and `provision-tenant` derive it from:
 * - linux: `<jail root>/<jail>/home/agent`
 * - bastille: `<bastille prefix>/jails/<jail>/root/home/<agent user>` (`jailsRoot` = `<prefix>/jails`)
 */
export function jailHomePath(
  layout: JailDriverKind,
  jailsRoot: string,
  jail: string,
  agentUser: string = DEFAULT_AGENT_USER,
): string {
  checkJailName(jail);
  return layout === 'linux'
    ? join(jailsRoot, jail, 'home', 'agent')
    : join(jailsRoot, jail, 'root', 'home', agentUser);
}

/**
 * The jail user's ids from colibri's record of the jail (linux `R/<jail>/jail.json`, bastille
 * `<prefix>/jails/<jail>/colibri.json`); undefined when there is no record (a jail colibri did not
 * create, or none at all). A damaged record is `COLIBRI_JAIL_DRIVER_FAILED`.
 */
export async function readJailOwner(
  layout: JailDriverKind,
  jailsRoot: string,
  jail: string,
): Promise<JailOwner | undefined> {
  checkJailName(jail);
  const record =
    layout === 'linux'
      ? await readJailRecord(join(jailsRoot, jail), jail)
      : await readBastilleRecord(join(jailsRoot, jail), jail);
  return record === undefined ? undefined : Object.freeze({ uid: record.uid, gid: record.gid });
}
