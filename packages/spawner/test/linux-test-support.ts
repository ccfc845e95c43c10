/**
 * Shared setup for the linux driver's integration tests: a temp jail root the jail uids can
 * traverse, a world-readable copy of the fixture runtime, and the BUILT keeper (the keeper runs as
 * its own node process, so it must be JavaScript: `pnpm --filter @colibri/spawner run build`).
 */
import { chmod, cp, lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AgentRuntime } from '../src/jail-driver.js';
import { processesOfUid } from '../src/linux/process-table.js';

const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));
export const FIXTURE_RUNTIME = join(packageDir, 'test', 'fixtures', 'agent-runtime');
export const FIXTURE_VERSION = '0.1.0-fixture';

/** dist/linux/keeper-main.js, after checking it is not older than its sources. */
export async function builtKeeperEntry(): Promise<string> {
  const entry = join(packageDir, 'dist', 'linux', 'keeper-main.js');
  const built = await stat(entry).catch(() => undefined);
  if (built === undefined) {
    throw new Error(`${entry} is missing: run \`pnpm --filter @colibri/spawner run build\` before the tests`);
  }
  for (const source of [
    'keeper-main.ts',
    'keeper.ts',
    'socket-proxy.ts',
    'launch-record.ts',
    'process-table.ts',
    'inherited-descriptors.ts',
    'keyring-filter.ts',
  ]) {
    const sourceStat = await stat(join(packageDir, 'src', 'linux', source));
    const output = await stat(join(packageDir, 'dist', 'linux', source.replace(/\.ts$/, '.js')));
    if (sourceStat.mtimeMs > output.mtimeMs) {
      throw new Error(
        `dist/linux is older than src/linux/${source}: run \`pnpm --filter @colibri/spawner run build\``,
      );
    }
  }
  return entry;
}

/** A temp directory (0711 so jail uids can traverse it) removed by `cleanup`. */
export async function makeTempBase(prefix: string): Promise<{ base: string; cleanup: () => Promise<void> }> {
  const base = await mkdtemp(join(tmpdir(), prefix));
  await chmod(base, 0o711);
  return { base, cleanup: () => rm(base, { recursive: true, force: true }) };
}

/** Copies the fixture runtime to `target` readable by everyone; returns its AgentRuntime. */
export async function installFixtureRuntime(
  target: string,
  version = FIXTURE_VERSION,
): Promise<AgentRuntime> {
  await cp(FIXTURE_RUNTIME, target, { recursive: true });
  await chmodTree(target);
  return { version, root: target, entry: join(target, 'bin', 'run.js') };
}

/** A runtime made of a package.json and a bin/run.js script (node builtins only), readable by all. */
export async function installScriptRuntime(
  target: string,
  script: string,
  version = FIXTURE_VERSION,
): Promise<AgentRuntime> {
  await mkdir(join(target, 'bin'), { recursive: true });
  await writeFile(
    join(target, 'package.json'),
    `${JSON.stringify({ name: 'colibri-script-runtime', version, type: 'module', private: true })}\n`,
  );
  await writeFile(join(target, 'bin', 'run.js'), script);
  await chmodTree(target);
  return { version, root: target, entry: join(target, 'bin', 'run.js') };
}

async function chmodTree(path: string): Promise<void> {
  const stats = await lstat(path);
  if (stats.isDirectory()) {
    await chmod(path, 0o755);
    for (const entry of await readdir(path)) await chmodTree(join(path, entry));
  } else if (stats.isFile()) {
    await chmod(path, path.endsWith('.js') ? 0o755 : 0o644);
  }
}

/** Every entry under `root` with its type, mode, owner and size: equal snapshots = nothing changed. */
export async function treeSnapshot(root: string): Promise<string> {
  const lines: string[] = [];
  const walk = async (path: string) => {
    let stats: Awaited<ReturnType<typeof lstat>>;
    try {
      stats = await lstat(path);
    } catch {
      lines.push(`${relative(root, path) || '.'} absent`);
      return;
    }
    const type = stats.isDirectory() ? 'd' : stats.isSymbolicLink() ? 'l' : stats.isSocket() ? 's' : 'f';
    lines.push(
      `${relative(root, path) || '.'} ${type} ${(stats.mode & 0o7777).toString(8)} ${stats.uid}:${stats.gid} ${
        type === 'f' ? stats.size : ''
      }`,
    );
    if (stats.isDirectory()) for (const entry of (await readdir(path)).sort()) await walk(join(path, entry));
  };
  await walk(root);
  return lines.join('\n');
}

/** Reads a file, undefined when it does not exist. */
export async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * `read` as parsed JSON, or undefined while the file is missing or still being written (a
 * fixture writes its report with one write; a poll can land between open and write).
 */
// biome-ignore lint/suspicious/noExplicitAny: the fixtures' reports have many shapes; each test reads its own fields
export function completeJson(read: () => Promise<string | undefined>): () => Promise<any> {
  return async () => {
    const text = await read();
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  };
}

/** Polls `probe` until it yields a value; the limit is a generous failure guard, not an assertion. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  guardMs = 45_000,
): Promise<T> {
  const giveUpAt = Date.now() + guardMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > giveUpAt) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Waits until no live process runs as `uid`. */
export async function waitForNoProcesses(uid: number): Promise<void> {
  await waitFor(`no process of uid ${uid}`, async () =>
    (await processesOfUid(uid)).length === 0 ? true : undefined,
  );
}
