import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Writes `dir/name` so a reader sees the old content or the new one, never half: a fresh temp file
 * (O_EXCL, `mode` from the start, so it is never readable by others even for a moment), fsync,
 * rename over the target. `dir` must already be a checked, root-controlled directory.
 */
export async function writeFileAtomic(
  dir: string,
  name: string,
  content: string,
  mode: number,
): Promise<void> {
  const temporary = join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temporary, 'wx', mode);
  try {
    await handle.writeFile(content);
    await handle.chmod(mode);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temporary, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(temporary, join(dir, name));
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
