import { readFile, realpath, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { ColibriError } from '@colibri/errors';
import type { AgentRuntime } from '../jail-driver.js';

/** A runtime whose files passed the cold-cache guard: real paths, ready to bind. */
export interface CheckedRuntime {
  readonly version: string;
  readonly root: string;
  readonly entry: string;
  /** The light run-agent entry, when the runtime has one (real path, inside `root`). */
  readonly agentEntry?: string;
  /** The entry's package.json (where the version and the dependencies are declared). */
  readonly manifest: string;
}

function unavailable(message: string, runtime: AgentRuntime, extra: Record<string, unknown> = {}): never {
  throw new ColibriError('COLIBRI_RUNTIME_UNAVAILABLE', message, {
    version: runtime.version,
    root: runtime.root ?? null,
    entry: runtime.entry,
    ...extra,
  });
}

function inside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep);
}

async function exists(path: string, kind: 'file' | 'directory'): Promise<boolean> {
  try {
    const stats = await stat(path);
    return kind === 'file' ? stats.isFile() : stats.isDirectory();
  } catch {
    return false;
  }
}

/** The nearest package.json from `start` up to (and including) `root`, or undefined. */
async function nearestPackageJson(start: string, root: string): Promise<string | undefined> {
  let dir = start;
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (await exists(candidate, 'file')) return candidate;
    if (dir === root || !inside(root, dir)) return undefined;
    dir = dirname(dir);
  }
}

/**
 * Where dependency `name` resolves from `packageDir` by node_modules lookup within `root`:
 * `inside` (usable in the sandbox), `outside` (a symlink, e.g. pnpm's, to a directory the sandbox
 * does not see) or `missing`.
 */
async function dependencyState(
  name: string,
  packageDir: string,
  root: string,
): Promise<{ state: 'inside' | 'missing' } | { state: 'outside'; target: string }> {
  let dir = packageDir;
  for (;;) {
    const candidate = join(dir, 'node_modules', name);
    if (await exists(join(candidate, 'package.json'), 'file')) {
      const target = await realpath(candidate);
      return inside(root, target) ? { state: 'inside' } : { state: 'outside', target };
    }
    if (dir === root || !inside(root, dir)) return { state: 'missing' };
    dir = dirname(dir);
  }
}

/**
 * The cold-cache guard of the linux driver's bootstrap, run BEFORE anything changes: the runtime
 * root exists, the entry is a file inside it, the entry's package.json is there, and every
 * dependency it declares resolves from node_modules inside the root. The root must not be inside
 * the jail root (a jail user could rewrite it); a light agent entry, when given, is a file inside the
 * root too. Throws `COLIBRI_RUNTIME_UNAVAILABLE` naming what is
 * missing and the fix ("install colibri <version> at <root>").
 */
export async function checkRuntimeFiles(runtime: AgentRuntime, jailRoot: string): Promise<CheckedRuntime> {
  if (
    typeof runtime !== 'object' ||
    runtime === null ||
    typeof runtime.version !== 'string' ||
    runtime.version === ''
  ) {
    throw new ColibriError('COLIBRI_INVALID_INPUT', 'a runtime must be {version, root, entry}');
  }
  const { version } = runtime;
  const fix = `install colibri ${version} at ${runtime.root ?? '<root>'}`;
  if (typeof runtime.root !== 'string' || !runtime.root.startsWith('/')) {
    unavailable(`the linux driver needs runtime.root, an absolute host path: ${fix}`, runtime);
  }
  if (typeof runtime.entry !== 'string' || !runtime.entry.startsWith('/')) {
    unavailable(`runtime.entry must be an absolute path under ${runtime.root}`, runtime);
  }
  if (!(await exists(runtime.root, 'directory'))) {
    unavailable(`the runtime root ${runtime.root} is missing: ${fix}`, runtime, { missing: runtime.root });
  }
  const root = await realpath(runtime.root);
  if (!(await exists(runtime.entry, 'file'))) {
    unavailable(`the runtime entry ${runtime.entry} is missing: ${fix}`, runtime, { missing: runtime.entry });
  }
  const entry = await realpath(runtime.entry);
  if (!inside(root, entry)) {
    unavailable(`the runtime entry ${runtime.entry} is not inside the runtime root ${runtime.root}`, runtime);
  }
  if (root === jailRoot || inside(jailRoot, root) || inside(root, jailRoot)) {
    unavailable(
      `the runtime root ${runtime.root} overlaps the jail root ${jailRoot}: install the runtime outside it`,
      runtime,
    );
  }
  const manifestPath = await nearestPackageJson(dirname(entry), root);
  if (manifestPath === undefined) {
    unavailable(`no package.json for ${runtime.entry} inside ${runtime.root}: ${fix}`, runtime, {
      missing: join(dirname(dirname(entry)), 'package.json'),
    });
  }
  let manifest: { dependencies?: Record<string, string> };
  try {
    manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as typeof manifest;
  } catch {
    unavailable(`${manifestPath} is not valid JSON: ${fix}`, runtime, { missing: manifestPath });
  }
  const missing: string[] = [];
  const escaping: string[] = [];
  for (const name of Object.keys(manifest.dependencies ?? {})) {
    const found = await dependencyState(name, dirname(manifestPath), root);
    if (found.state === 'missing') missing.push(name);
    if (found.state === 'outside') escaping.push(`${name} -> ${found.target}`);
  }
  if (escaping.length > 0) {
    unavailable(
      `the runtime at ${runtime.root} links dependencies outside itself, which the sandbox cannot see (${escaping.join(', ')}): ${fix} as a self-contained tree (e.g. \`pnpm deploy --prod\` or \`npm install\` into it), or use the directory holding those links as the root`,
      runtime,
      { outside: escaping },
    );
  }
  if (missing.length > 0) {
    unavailable(
      `the runtime at ${runtime.root} lacks node_modules for ${missing.join(', ')}: ${fix} with its dependencies`,
      runtime,
      { missing: missing.map((name) => join(dirname(manifestPath), 'node_modules', name)) },
    );
  }
  let agentEntry: string | undefined;
  if (runtime.agentEntry !== undefined) {
    if (typeof runtime.agentEntry !== 'string' || !runtime.agentEntry.startsWith('/')) {
      unavailable(`runtime.agentEntry must be an absolute path under ${runtime.root}`, runtime);
    }
    if (!(await exists(runtime.agentEntry, 'file'))) {
      unavailable(`the runtime's agent entry ${runtime.agentEntry} is missing: ${fix}`, runtime, {
        missing: runtime.agentEntry,
      });
    }
    agentEntry = await realpath(runtime.agentEntry);
    if (!inside(root, agentEntry)) {
      unavailable(
        `the runtime's agent entry ${runtime.agentEntry} is not inside the runtime root ${runtime.root}`,
        runtime,
      );
    }
  }
  return Object.freeze({
    version,
    root,
    entry,
    ...(agentEntry === undefined ? {} : { agentEntry }),
    manifest: manifestPath,
  });
}

/**
 * The first path on the way to `target` (its ancestors, then itself) that the jail uid cannot
 * use: a directory without o+x, or the target without o+r. The jail uid owns nothing outside its
 * jail and has no supplementary groups, so only the "other" bits count. Undefined when all is fine.
 */
export async function unreadableByOthers(
  target: string,
): Promise<{ path: string; mode: string } | undefined> {
  const parts = target.split('/').filter((part) => part !== '');
  let current = '/';
  for (let index = 0; index <= parts.length; index += 1) {
    const stats = await stat(current);
    const isTarget = index === parts.length;
    const needed = isTarget && !stats.isDirectory() ? 0o004 : 0o001;
    if ((stats.mode & needed) === 0)
      return { path: current, mode: (stats.mode & 0o7777).toString(8).padStart(4, '0') };
    const next = parts[index];
    if (next !== undefined) current = join(current, next);
  }
  return undefined;
}

/**
 * The version a colibri CLI printed for `--version`. oclif prints `<package>/<version> <platform>
 * node-<v>` where the package may be scoped (`@colibri/cli/0.1.0 linux-x64 node-v20.20.2`): the
 * version is what follows the last `/` of the first word. A bare `0.1.0` is accepted too.
 */
export function versionFromOutput(output: string): string | undefined {
  for (const line of output.split('\n')) {
    const word = line.trim().split(/\s+/)[0];
    if (word === undefined || word === '') continue;
    const version = word.includes('/') ? word.slice(word.lastIndexOf('/') + 1) : word.replace(/^v(?=\d)/, '');
    return /^\d+\.\d+\.\d+\S*$/.test(version) ? version : undefined;
  }
  return undefined;
}
