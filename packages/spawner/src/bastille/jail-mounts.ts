import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describeCommand, driverFailed } from './bastille-cli.js';
import type { BastilleJails } from './bastille-jails.js';

// The read-only nullfs mounts bootstrap (the package cache) and start-agent (the handlers) make,
// each verified in the jail's fstab after the `bastille mount`/`umount` call.

/** The jail's fstab entry mounted at `jailPath`, if any. */
export async function fstabEntry(jails: BastilleJails, name: string, jailPath: string) {
  const target = `${join(jails.jailBase(name), 'root')}${jailPath}`;
  let text = '';
  try {
    text = await readFile(join(jails.jailBase(name), 'fstab'), 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const [source, mountpoint, type, mountOptions] = line.trim().split(/\s+/);
    if (mountpoint === target && source !== undefined) return { source, type, options: mountOptions };
  }
  return undefined;
}

/** Removes the mount at `jailPath` (nothing when there is none), verified in the fstab. */
export async function unmount(jails: BastilleJails, name: string, jailPath: string): Promise<void> {
  if ((await fstabEntry(jails, name, jailPath)) === undefined) return;
  const args = ['umount', name, jailPath];
  const result = await jails.bastilleOn(name, args);
  if ((await fstabEntry(jails, name, jailPath)) !== undefined) {
    throw driverFailed(
      describeCommand('bastille', args),
      result,
      `${jailPath} is still in the fstab of jail ${name}`,
      {
        jail: name,
      },
    );
  }
}

/** A read-only nullfs mount of a host directory at `jailPath`, verified in the jail's fstab. */
export async function mountReadOnly(
  jails: BastilleJails,
  name: string,
  hostDir: string,
  jailPath: string,
): Promise<void> {
  const present = await fstabEntry(jails, name, jailPath);
  if (present?.source === hostDir && present.type === 'nullfs' && present.options === 'ro') return;
  if (present !== undefined) await unmount(jails, name, jailPath);
  const args = ['mount', name, hostDir, jailPath, 'nullfs', 'ro', '0', '0'];
  const result = await jails.bastilleOn(name, args);
  const entry = await fstabEntry(jails, name, jailPath);
  if (entry?.source !== hostDir || entry.options !== 'ro') {
    throw driverFailed(
      describeCommand('bastille', args),
      result,
      `the fstab of jail ${name} has no read-only ${jailPath}`,
      {
        jail: name,
      },
    );
  }
}
