// `pnpm -r publish --dry-run` passes: what the release script runs for real, minus the upload.

import { spawnSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { listWorkspacePackages } from './workspace-packages.js';

const root = realpathSync(new URL('../..', import.meta.url).pathname);
const published = listWorkspacePackages(root).filter((p) => !p.private);

describe('pnpm -r publish --dry-run', () => {
  it('passes for every published package', { timeout: 600_000 }, () => {
    // --no-git-checks: the test runs on branches and dirty trees; the release script does the checks.
    const result = spawnSync('pnpm', ['-r', 'publish', '--dry-run', '--no-git-checks'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, npm_config_loglevel: 'warn' },
      timeout: 600_000,
    });
    expect(result.status, result.stderr).toBe(0);
    for (const pkg of published)
      expect(result.stdout + result.stderr, pkg.name).toContain(`${pkg.name}@${pkg.version}`);
  });
});
