import { readdir, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';

/** The directories of a `PATH` value, in order; empty and relative entries are skipped (they mean "the cwd"). */
export function pathDirectories(path: string | undefined): string[] {
  return (path ?? '').split(':').filter((dir) => dir !== '' && isAbsolute(dir));
}

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    const stats = await stat(file);
    return stats.isFile() && (stats.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** The first executable regular file named `name` on `path`, like a shell would run, or undefined. */
export async function findExecutable(name: string, path: string | undefined): Promise<string | undefined> {
  for (const dir of pathDirectories(path)) {
    const file = join(dir, name);
    if (await isExecutableFile(file)) return file;
  }
  return undefined;
}

/**
 * Every executable on `path` whose name matches `pattern`, first occurrence of each name only
 * (as a shell would resolve it), e.g. all `python3.N` interpreters.
 */
export async function findExecutables(pattern: RegExp, path: string | undefined): Promise<string[]> {
  const seen = new Set<string>();
  const found: string[] = [];
  for (const dir of pathDirectories(path)) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    for (const name of names.sort()) {
      if (!pattern.test(name) || seen.has(name)) continue;
      const file = join(dir, name);
      if (await isExecutableFile(file)) {
        seen.add(name);
        found.push(file);
      }
    }
  }
  return found;
}
