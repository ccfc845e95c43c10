import type { Stats } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { ColibriError, isColibriError } from '@colibri/errors';
import type { JailInfo, JailSpec } from '../jail-driver.js';
import { checkJailSpec } from '../names.js';
import { firstLines } from '../run-command.js';
import { describeCommand, driverFailed } from './bastille-cli.js';
import { checkJailAddress } from './bastille-driver-options.js';
import { type BastilleJailRecord, readBastilleRecord, writeBastilleRecord } from './bastille-jail-record.js';
import { type BastilleJails, pathExists } from './bastille-jails.js';
import { removeJail } from './destroy-jail.js';

// The create step: `bastille create`, the jail user (`pw useradd`) with its 0700 home, colibri's
// record written only once all of it is verified; a failure destroys the half-made jail.

/** The jail home on the host: no symlinked component from the prefix down (the vault writes here). */
async function statHome(jails: BastilleJails, name: string) {
  const { jailsDir, options } = jails;
  const { agentUser } = options;
  let path = jailsDir;
  for (const part of [name, 'root', 'home', agentUser]) {
    path = join(path, part);
    const stat = await lstat(path);
    if (stat.isSymbolicLink()) {
      throw new ColibriError(
        'COLIBRI_UNSAFE_PATH',
        `${path} is a symlink: refusing the jail home of ${name}`,
        {
          jail: name,
          path,
        },
      );
    }
    if (!stat.isDirectory()) {
      throw new ColibriError('COLIBRI_UNSAFE_PATH', `${path} is not a directory`, { jail: name, path });
    }
    if (part === agentUser) return stat;
  }
  throw new Error('unreachable');
}

/** `pw useradd` inside the jail, then verifies the ids and the home the way the host sees them. */
async function createAgentUser(jails: BastilleJails, name: string) {
  const { cli, home, hostHome, options } = jails;
  const { agentUser, agentUid } = options;
  const argv = [
    '/usr/sbin/pw',
    'useradd',
    '-n',
    agentUser,
    '-u',
    String(agentUid),
    '-c',
    'colibri agent',
    '-d',
    home,
    '-m',
    '-M',
    '0700',
    '-s',
    '/bin/sh',
  ];
  const added = await cli.jexec(name, 'root', argv);
  const command = describeCommand('jexec', ['-l', '-U', 'root', name, ...argv]);
  const uid = await cli.jexec(name, 'root', ['/usr/bin/id', '-u', agentUser]);
  const gid = await cli.jexec(name, 'root', ['/usr/bin/id', '-g', agentUser]);
  const uidValue = Number(uid.stdout.trim());
  const gidValue = Number(gid.stdout.trim());
  if (
    uid.exitCode !== 0 ||
    uidValue !== agentUid ||
    gid.exitCode !== 0 ||
    !Number.isInteger(gidValue) ||
    gidValue <= 0
  ) {
    throw driverFailed(
      command,
      added,
      `\`id -u ${agentUser}\` answers ${JSON.stringify(uid.stdout.trim() || firstLines(uid.stderr))} (expected ${agentUid}) and \`id -g\` ${JSON.stringify(gid.stdout.trim() || firstLines(gid.stderr))}`,
      { jail: name },
    );
  }
  let stat: Stats;
  try {
    stat = await statHome(jails, name);
  } catch (error) {
    if (isColibriError(error)) throw error;
    throw driverFailed(command, added, `${hostHome(name)} does not exist`, { jail: name });
  }
  if (stat.uid !== uidValue || stat.gid !== gidValue) {
    throw driverFailed(
      command,
      added,
      `${hostHome(name)} is owned by ${stat.uid}:${stat.gid}, not ${uidValue}:${gidValue}`,
      {
        jail: name,
      },
    );
  }
  if ((stat.mode & 0o7777) !== 0o700) {
    const chmod = await cli.jexec(name, 'root', ['/bin/chmod', '0700', home]);
    if (((await statHome(jails, name)).mode & 0o7777) !== 0o700) {
      throw driverFailed(
        describeCommand('jexec', ['-l', '-U', 'root', name, '/bin/chmod', '0700', home]),
        chmod,
        `${hostHome(name)} is not mode 0700`,
        {
          jail: name,
        },
      );
    }
  }
  return { uid: uidValue, gid: gidValue };
}

/** After a failed create: destroy the jail this call made (it was absent before), and say so. */
async function undoCreate(jails: BastilleJails, name: string, error: unknown): Promise<ColibriError> {
  const { logger } = jails.options;
  const base = isColibriError(error)
    ? error
    : new ColibriError(
        'COLIBRI_JAIL_DRIVER_FAILED',
        `creating jail ${name} failed: ${(error as Error).message}`,
        { jail: name },
      );
  try {
    await removeJail(jails, name);
    return new ColibriError(
      base.code,
      `${base.message}; the half-made jail ${name} was destroyed`,
      { ...base.details, rollback: 'destroyed' },
      { cause: error },
    );
  } catch (undoError) {
    logger.warn({ jail: name, error: (undoError as Error).message }, 'could not destroy a half-made jail');
    return new ColibriError(
      base.code,
      `${base.message}; destroying the half-made jail ${name} failed too (${(undoError as Error).message}): remove it by hand`,
      { ...base.details, rollback: 'failed' },
      { cause: error },
    );
  }
}

export async function createJail(jails: BastilleJails, spec: JailSpec): Promise<JailInfo> {
  const { cli, options, jailBase, home, infoOf, jailRunning, serialized } = jails;
  const { prefix, release, agentUser, logger } = options;
  const { name, agentName, tenant } = checkJailSpec(spec);
  const address = checkJailAddress(options.address(name), name);
  return serialized(name, async () => {
    if ((await cli.listJails()).has(name)) {
      const record = await readBastilleRecord(jailBase(name), name).catch(() => undefined);
      throw new ColibriError(
        'COLIBRI_JAIL_EXISTS',
        record === undefined
          ? `jail ${name} already exists and colibri did not create it: it is left untouched`
          : `jail ${name} already exists (colibri's, for agent ${record.agentName} of tenant ${record.tenant})`,
        { jail: name },
      );
    }
    if (await pathExists(jailBase(name))) {
      throw new ColibriError(
        'COLIBRI_JAIL_EXISTS',
        `${jailBase(name)} exists although Bastille lists no jail ${name}: remove the leftover directory or pick another name`,
        { jail: name },
      );
    }
    if (!(await pathExists(join(prefix, 'releases', release)))) {
      throw new ColibriError(
        'COLIBRI_PREFLIGHT_FAILED',
        `release ${release} is not bootstrapped (no ${join(prefix, 'releases', release)}): run \`bastille bootstrap ${release}\``,
        { jail: name, release },
      );
    }
    const version = await cli.version();
    const args = [
      'create',
      name,
      release,
      address,
      ...(options.interface === null ? [] : [options.interface]),
    ];
    const created = await cli.bastille(args);
    if (!(await cli.listJails()).has(name)) {
      throw driverFailed(describeCommand('bastille', args), created, `no jail ${name} is listed`, {
        jail: name,
      });
    }
    try {
      if (!(await jailRunning(name))) {
        throw driverFailed(describeCommand('bastille', args), created, `jail ${name} is not running`, {
          jail: name,
        });
      }
      const root = await lstat(join(jailBase(name), 'root')).catch(() => undefined);
      if (root === undefined || root.isSymbolicLink() || !root.isDirectory()) {
        throw driverFailed(
          describeCommand('bastille', args),
          created,
          `${join(jailBase(name), 'root')} is not a directory`,
          {
            jail: name,
          },
        );
      }
      const owner = await createAgentUser(jails, name);
      const record: BastilleJailRecord = {
        format: 1,
        driver: 'bastille',
        name,
        agentName,
        tenant,
        user: agentUser,
        uid: owner.uid,
        gid: owner.gid,
        home,
        release,
        address,
        bastilleVersion: version.text,
        runtime: null,
        createdAt: new Date().toISOString(),
      };
      await writeBastilleRecord(jailBase(name), record);
      logger.info({ jail: name, agentName, tenant, uid: owner.uid }, 'jail created');
      return infoOf(record);
    } catch (error) {
      throw await undoCreate(jails, name, error);
    }
  });
}
