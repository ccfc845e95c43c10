import { isColibriError } from '@colibri/errors';
import { describe, expect, it } from 'vitest';
import { installationRoot, locateLinuxRuntime, type RuntimeFileSystem } from './locate-runtime.js';

function fakeFs(files: Record<string, string>): RuntimeFileSystem {
  return {
    exists: (path) => Object.hasOwn(files, path),
    readText: (path) => {
      const text = files[path];
      if (text === undefined) throw new Error(`ENOENT: ${path}`);
      return text;
    },
  };
}

describe('locateLinuxRuntime', () => {
  it('in a workspace checkout: the workspace root, its apps/colibri entry and version', () => {
    const fs = fakeFs({
      '/src/colibri/pnpm-workspace.yaml': '',
      '/src/colibri/apps/colibri/bin/run.js': '',
      '/src/colibri/apps/colibri/package.json': '{"name":"@colibri/cli","version":"0.3.1"}',
    });
    expect(locateLinuxRuntime(undefined, fs, '/src/colibri/apps/daemon')).toEqual({
      version: '0.3.1',
      root: '/src/colibri',
      entry: '/src/colibri/apps/colibri/bin/run.js',
    });
  });

  it('in an npm install: the parent of the top-most node_modules', () => {
    const fs = fakeFs({
      '/opt/colibri/node_modules/@colibri/cli/bin/run.js': '',
      '/opt/colibri/node_modules/@colibri/cli/package.json': '{"version":"1.0.0"}',
    });
    expect(installationRoot('/opt/colibri/node_modules/@colibri/daemon', fs)).toBe('/opt/colibri');
    expect(locateLinuxRuntime(undefined, fs, '/opt/colibri/node_modules/@colibri/daemon')).toMatchObject({
      root: '/opt/colibri',
      entry: '/opt/colibri/node_modules/@colibri/cli/bin/run.js',
      version: '1.0.0',
    });
  });

  it('--spawn-runtime-dir names another installation; a missing CLI or version is a clear error', () => {
    const fs = fakeFs({ '/srv/rt/bin/run.js': '', '/srv/rt/package.json': '{"version":"2.0.0"}' });
    expect(locateLinuxRuntime('/srv/rt', fs)).toEqual({
      version: '2.0.0',
      root: '/srv/rt',
      entry: '/srv/rt/bin/run.js',
    });
    const refused = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        if (isColibriError(error, 'COLIBRI_RUNTIME_UNAVAILABLE')) return error.message;
        throw error;
      }
      throw new Error('expected COLIBRI_RUNTIME_UNAVAILABLE');
    };
    expect(refused(() => locateLinuxRuntime('/srv/empty', fs))).toMatch(
      /--spawn-runtime-dir \/srv\/empty holds no colibri CLI \(looked for apps\/colibri\/bin\/run\.js/,
    );
    const noVersion = fakeFs({ '/srv/rt/bin/run.js': '', '/srv/rt/package.json': '{}' });
    expect(refused(() => locateLinuxRuntime('/srv/rt', noVersion))).toMatch(/declares no version/);
  });
});
