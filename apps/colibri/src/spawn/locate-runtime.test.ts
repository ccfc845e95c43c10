import { describe, expect, it } from 'vitest';
import { installationRoot, locateLinuxRuntime } from './locate-runtime.js';

const fs = (...present: string[]) => {
  const set = new Set(present);
  return (path: string) => set.has(path);
};

describe('installationRoot', () => {
  it('a pnpm workspace: the directory holding pnpm-workspace.yaml', () => {
    expect(installationRoot('/work/main/apps/colibri', fs('/work/main/pnpm-workspace.yaml'))).toBe(
      '/work/main',
    );
  });

  it('an npm install: the parent of the top-most node_modules', () => {
    expect(installationRoot('/opt/colibri/node_modules/@colibri/cli', fs())).toBe('/opt/colibri');
    expect(installationRoot('/opt/x/node_modules/a/node_modules/@colibri/cli', fs())).toBe('/opt/x');
  });

  it('otherwise the CLI directory itself', () => {
    expect(installationRoot('/opt/colibri-cli', fs())).toBe('/opt/colibri-cli');
  });
});

describe('locateLinuxRuntime', () => {
  it('this installation by default, pinned to this version', () => {
    expect(
      locateLinuxRuntime({
        cliRoot: '/work/main/apps/colibri',
        version: '0.3.0',
        cwd: '/',
        exists: fs('/work/main/pnpm-workspace.yaml'),
      }),
    ).toEqual({ version: '0.3.0', root: '/work/main', entry: '/work/main/apps/colibri/bin/run.js' });
  });

  it('--runtime-dir: the first entry found there, relative to the working directory', () => {
    const located = locateLinuxRuntime({
      cliRoot: '/x',
      version: '0.3.0',
      runtimeDir: 'copy',
      cwd: '/srv',
      exists: fs('/srv/copy/apps/colibri/bin/run.js', '/srv/copy/node_modules/@colibri/cli/bin/run.js'),
    });
    expect(located).toEqual({
      version: '0.3.0',
      root: '/srv/copy',
      entry: '/srv/copy/apps/colibri/bin/run.js',
    });
  });

  it('--runtime-dir without an installation: COLIBRI_RUNTIME_UNAVAILABLE naming what was looked for', () => {
    expect(() =>
      locateLinuxRuntime({ cliRoot: '/x', version: '0.3.0', runtimeDir: '/empty', cwd: '/', exists: fs() }),
    ).toThrow(
      expect.objectContaining({
        code: 'COLIBRI_RUNTIME_UNAVAILABLE',
        message: expect.stringMatching(
          /--runtime-dir \/empty holds no colibri installation \(looked for bin\/run\.js/,
        ),
      }),
    );
  });
});
