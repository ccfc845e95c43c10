import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ColibriError } from '@colibri/errors';
import * as v from 'valibot';
import { writeFileAtomic } from '../atomic-write.js';
import { JAIL_RECORD_IDENTITY } from '../jail-record-fields.js';
import { launchSettingsSchema } from '../launch-settings.js';

/** The file in `R/<jail>/` that marks a jail colibri created (root 0600). */
export const JAIL_RECORD_FILE = 'jail.json';

const absolutePath = v.pipe(v.string(), v.regex(/^\/[^\0]*$/, 'an absolute path'));

const jailRecordSchema = v.strictObject({
  ...JAIL_RECORD_IDENTITY,
  driver: v.literal('linux'),
  runtime: v.nullable(
    v.strictObject({
      version: v.pipe(v.string(), v.minLength(1)),
      root: absolutePath,
      entry: absolutePath,
      /** The light run-agent entry (absent: the agent runs through `entry`, as older records say). */
      agentEntry: v.optional(absolutePath),
    }),
  ),
  createdAt: v.string(),
  /** The settings the agent was last started with (absent in records of older colibri versions). */
  launched: v.optional(launchSettingsSchema),
});

/** colibri's record of a linux jail. */
export type JailRecord = v.InferOutput<typeof jailRecordSchema>;

/**
 * Reads `R/<jail>/jail.json`: undefined when there is none (a jail colibri did not create);
 * `COLIBRI_JAIL_DRIVER_FAILED` when it is unreadable or does not describe this jail.
 */
export async function readJailRecord(jailDir: string, name: string): Promise<JailRecord | undefined> {
  let text: string;
  try {
    text = await readFile(join(jailDir, JAIL_RECORD_FILE), { encoding: 'utf8', flag: 'r' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const result = v.safeParse(jailRecordSchema, parsed);
  if (!result.success || result.output.name !== name) {
    throw new ColibriError(
      'COLIBRI_JAIL_DRIVER_FAILED',
      `the record ${join(jailDir, JAIL_RECORD_FILE)} is damaged or names another jail: inspect it by hand`,
      { jail: name },
    );
  }
  return result.output;
}

/** Writes the record atomically, root 0600. */
export async function writeJailRecord(jailDir: string, record: JailRecord): Promise<void> {
  await writeFileAtomic(jailDir, JAIL_RECORD_FILE, `${JSON.stringify(record, null, 2)}\n`, 0o600);
}
