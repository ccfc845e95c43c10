import { ColibriError } from '@colibri/errors';
import type { AgentRuntime, JailInfo } from '../jail-driver.js';
import { checkJailName } from '../names.js';
import { firstLines } from '../run-command.js';
import { mentionsVersion } from './agent-launch.js';
import type { BastilleJailRecord } from './bastille-jail-record.js';
import { writeBastilleRecord } from './bastille-jail-record.js';
import type { BastilleJails } from './bastille-jails.js';
import { mountReadOnly, unmount } from './jail-mounts.js';
import {
  type CachedPackage,
  checkBastilleRuntime,
  checkColibriPackageVersion,
  locateCachedPackages,
} from './package-cache.js';

// The bootstrap step: the pinned runtime installed offline from the host's package cache (mounted
// read-only for the install), then `<entry> --version` run in the jail as the jail user.

/** Where the package cache is mounted (read-only nullfs) inside a jail while bootstrap runs. */
export const PACKAGE_MOUNT = '/var/cache/colibri-packages';

async function installPackage(jails: BastilleJails, name: string, pkg: CachedPackage): Promise<void> {
  const { cli, options } = jails;
  const { logger } = options;
  const query = ['/usr/sbin/pkg', 'query', '%v', pkg.name];
  const before = await cli.jexec(name, 'root', query);
  const installed = before.exitCode === 0 ? before.stdout.trim() : '';
  if (installed === pkg.version) return;
  const argv = ['/usr/sbin/pkg', 'add', ...(installed === '' ? [] : ['-f']), `${PACKAGE_MOUNT}/${pkg.file}`];
  const added = await cli.jexec(name, 'root', argv);
  const after = await cli.jexec(name, 'root', query);
  if (after.exitCode !== 0 || after.stdout.trim() !== pkg.version) {
    throw new ColibriError(
      'COLIBRI_RUNTIME_UNAVAILABLE',
      `\`pkg add ${PACKAGE_MOUNT}/${pkg.file}\` in jail ${name} exited ${added.exitCode}` +
        (firstLines(`${added.stderr}\n${added.stdout}`) === ''
          ? ''
          : ` (${firstLines(`${added.stderr}\n${added.stdout}`)})`) +
        `, and ${pkg.name} is ${after.exitCode === 0 ? `at ${after.stdout.trim()}` : 'not installed'} instead of ${pkg.version}: ` +
        'check the package file (list pkg first when the release has no pkg yet)',
      { jail: name, package: pkg.name, expected: pkg.version },
    );
  }
  logger.info({ jail: name, package: `${pkg.name}-${pkg.version}` }, 'package installed');
}

export async function bootstrapJail(
  jails: BastilleJails,
  name: string,
  input: AgentRuntime,
): Promise<JailInfo> {
  const { cli, options, jailBase, infoOf, ownJail, ensureJailRunning, serialized } = jails;
  const { logger } = options;
  checkJailName(name);
  const runtime = checkBastilleRuntime(input);
  return serialized(name, async () => {
    let record = await ownJail(name);
    // The cold-cache guard and the version pin: before anything in the jail changes.
    const cached = await locateCachedPackages(runtime, name);
    checkColibriPackageVersion(runtime, name);
    await ensureJailRunning(name);
    if (record.runtime !== null) {
      // From here the jail changes: it is not "bootstrapped at the old version" any more.
      record = { ...record, runtime: null };
      await writeBastilleRecord(jailBase(name), record);
    }
    await mountReadOnly(jails, name, runtime.packageCache, PACKAGE_MOUNT);
    let failure: unknown;
    try {
      for (const pkg of cached) await installPackage(jails, name, pkg);
    } catch (error) {
      failure = error;
    }
    try {
      await unmount(jails, name, PACKAGE_MOUNT);
    } catch (error) {
      if (failure === undefined) failure = error;
      else
        logger.warn({ jail: name, error: (error as Error).message }, 'could not unmount the package cache');
    }
    if (failure !== undefined) throw failure;

    const printed = await cli.jexec(name, record.user, [runtime.entry, '--version']);
    const text = `${printed.stdout}\n${printed.stderr}`;
    if (printed.exitCode !== 0 || !mentionsVersion(text, runtime.version)) {
      throw new ColibriError(
        'COLIBRI_RUNTIME_UNAVAILABLE',
        `\`${runtime.entry} --version\` in jail ${name} printed ${JSON.stringify(firstLines(text))} (exit ${printed.exitCode}), ` +
          `expected ${runtime.version}: the cached packages do not hold colibri ${runtime.version}`,
        { jail: name, expected: runtime.version },
      );
    }
    const next: BastilleJailRecord = {
      ...record,
      runtime: { version: runtime.version, entry: runtime.entry },
    };
    await writeBastilleRecord(jailBase(name), next);
    logger.info({ jail: name, version: runtime.version }, 'runtime bootstrapped');
    return infoOf(next);
  });
}
