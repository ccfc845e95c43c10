import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { ColibriError } from '@colibri/errors';
import * as v from 'valibot';
import { writeFileAtomic } from '../atomic-write.js';
import { JAIL_RECORD_IDENTITY } from '../jail-record-fields.js';
import { launchSettingsSchema } from '../launch-settings.js';

/**
 * The file in `<prefix>/jails/<NAME>/` (host side, beside jail.conf, OUTSIDE `root/` so nothing in
 * the jail can touch it) that marks a jail colibri created. Without it a jail is foreign: never touched.
 */
export const BASTILLE_RECORD_FILE = 'colibri.json';

const jailPath = v.pipe(v.string(), v.regex(/^\/[A-Za-z0-9._/+-]*$/, 'an absolute path inside the jail'));

const recordSchema = v.strictObject({
  ...JAIL_RECORD_IDENTITY,
  driver: v.literal('bastille'),
  user: v.pipe(v.string(), v.minLength(1)),
  /** The user's home inside the jail, e.g. `/home/agent`. */
  home: jailPath,
  release: v.string(),
  address: v.string(),
  bastilleVersion: v.string(),
  runtime: v.nullable(v.strictObject({ version: v.pipe(v.string(), v.minLength(1)), entry: jailPath })),
  createdAt: v.string(),
  /** The settings the agent was last started with (absent in records of older colibri versions). */
  launched: v.optional(launchSettingsSchema),
});

/** colibri's record of a Bastille jail it created. */
export type BastilleJailRecord = v.InferOutput<typeof recordSchema>;

/**
 * Reads `<jailBase>/colibri.json`: undefined when there is none (a jail colibri did not create);
 * `COLIBRI_JAIL_DRIVER_FAILED` when it is a symlink, not root's 0600 file, unreadable, or names
 * another jail — a record is trusted only as root left it.
 */
export async function readBastilleRecord(
  jailBase: string,
  name: string,
): Promise<BastilleJailRecord | undefined> {
  const file = join(jailBase, BASTILLE_RECORD_FILE);
  let text: string;
  try {
    const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      const stat = await handle.stat();
      if (!stat.isFile() || stat.uid !== 0 || (stat.mode & 0o077) !== 0) {
        throw new ColibriError(
          'COLIBRI_JAIL_DRIVER_FAILED',
          `the record ${file} is not root's private file (owner ${stat.uid}, mode ${(stat.mode & 0o777).toString(8)}): inspect it by hand`,
          { jail: name, path: file },
        );
      }
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') {
      throw new ColibriError(
        'COLIBRI_UNSAFE_PATH',
        `the record ${file} is a symlink: refusing to follow it`,
        {
          jail: name,
          path: file,
        },
      );
    }
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const result = v.safeParse(recordSchema, parsed);
  if (!result.success || result.output.name !== name) {
    throw new ColibriError(
      'COLIBRI_JAIL_DRIVER_FAILED',
      `the record ${file} is damaged or names another jail: inspect it by hand`,
      { jail: name, path: file },
    );
  }
  return result.output;
}

/**
 * Writes the record so a reader sees the old one or the new one, never half: a fresh O_EXCL temp
 * file created 0600, fsync, rename. `jailBase` is Bastille's root-owned 0700 jail directory.
 */
export async function writeBastilleRecord(jailBase: string, record: BastilleJailRecord): Promise<void> {
  await writeFileAtomic(jailBase, BASTILLE_RECORD_FILE, `${JSON.stringify(record, null, 2)}\n`, 0o600);
}
