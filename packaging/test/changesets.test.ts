// The release flow cannot break silently: every changeset parses the way `changeset version`
// parses it, names only published workspace packages, and `changeset version` itself runs on a
// scratch copy of the workspace (package.json files + .changeset), bumping what they name.
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import parseChangeset from '@changesets/parse';
import { afterAll, describe, expect, it } from 'vitest';
import { listWorkspacePackages } from './workspace-packages.js';

const root = new URL('../..', import.meta.url).pathname;
const changesetDir = join(root, '.changeset');
const files = readdirSync(changesetDir).filter((name) => name.endsWith('.md') && name !== 'README.md');
const workspace = listWorkspacePackages(root);
const published = new Map(workspace.filter((p) => !p.private).map((p) => [p.name, p]));
const privateNames = new Set(workspace.filter((p) => p.private).map((p) => p.name));

const scratch = mkdtempSync(join(tmpdir(), 'colibri-changesets-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('changesets', () => {
  it('there are changesets to check (the directory is where the config says)', () => {
    expect(existsSync(join(changesetDir, 'config.json'))).toBe(true);
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('%s: front matter parses, names only published packages, has a summary', (file) => {
    const text = readFileSync(join(changesetDir, file), 'utf8');
    // What a markdown formatter does to front matter (`"pkg": minor` + `---` becomes a `##`
    // heading) is exactly what broke `changeset version` before: name it plainly.
    expect(text.startsWith('---\n'), `${file} must start with a '---' line`).toBe(true);
    let parsed: ReturnType<typeof parseChangeset>;
    try {
      parsed = parseChangeset(text);
    } catch (error) {
      throw new Error(`${file}: ${(error as Error).message.split('\n')[0]}`);
    }
    expect(parsed.releases.length, `${file} names no package`).toBeGreaterThan(0);
    for (const release of parsed.releases) {
      expect(privateNames.has(release.name), `${file}: ${release.name} is private (not versioned)`).toBe(
        false,
      );
      expect(published.has(release.name), `${file}: ${release.name} is not a workspace package`).toBe(true);
      expect(['major', 'minor', 'patch'], `${file}: ${release.name}`).toContain(release.type);
    }
    expect(parsed.summary.trim().length, `${file} has no summary`).toBeGreaterThan(0);
  });

  // A failure guard, not a speed check: on an idle machine this takes about a second.
  it('`changeset version` runs on a scratch copy and bumps every package a changeset names', {
    timeout: 600_000,
  }, () => {
    const copy = join(scratch, 'workspace');
    mkdirSync(copy);
    for (const name of ['package.json', 'pnpm-workspace.yaml']) cpSync(join(root, name), join(copy, name));
    cpSync(changesetDir, join(copy, '.changeset'), { recursive: true });
    for (const pkg of workspace) {
      mkdirSync(join(copy, pkg.dir), { recursive: true });
      cpSync(join(root, pkg.dir, 'package.json'), join(copy, pkg.dir, 'package.json'));
      const changelog = join(root, pkg.dir, 'CHANGELOG.md');
      if (existsSync(changelog)) cpSync(changelog, join(copy, pkg.dir, 'CHANGELOG.md'));
    }
    // The changelog generator is resolved from the workspace's node_modules.
    symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));

    const result = spawnSync(
      process.execPath,
      [join(root, 'node_modules/@changesets/cli/bin.js'), 'version'],
      { cwd: copy, encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: scratch } },
    );
    expect(result.stderr + result.stdout).not.toMatch(/error/i);
    expect(result.status).toBe(0);

    const named = new Set(
      files.flatMap((file) =>
        parseChangeset(readFileSync(join(changesetDir, file), 'utf8')).releases.map((r) => r.name),
      ),
    );
    for (const name of named) {
      const pkg = published.get(name);
      if (pkg === undefined) continue;
      const after = JSON.parse(readFileSync(join(copy, pkg.dir, 'package.json'), 'utf8')) as {
        version: string;
      };
      expect(after.version, `${name} was not bumped`).not.toBe(pkg.version);
      expect(existsSync(join(copy, pkg.dir, 'CHANGELOG.md')), `${name} got no CHANGELOG.md`).toBe(true);
    }
    const left = readdirSync(join(copy, '.changeset')).filter((n) => n.endsWith('.md') && n !== 'README.md');
    expect(left, 'changesets not consumed by `changeset version`').toEqual([]);
  });
});
