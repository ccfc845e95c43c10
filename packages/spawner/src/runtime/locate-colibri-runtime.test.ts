import { describe, expect, it } from 'vitest';
import {
  installationRoot,
  type LocateColibriRuntimeOptions,
  locateColibriRuntime,
  type RuntimeFileSystem,
} from './locate-colibri-runtime.js';

/** A file system holding exactly `files` (path → text). */
function fakeFs(files: Record<string, string> = {}): RuntimeFileSystem {
  return {
    exists: (path) => Object.hasOwn(files, path),
    readText: (path) => {
      const text = files[path];
      if (text === undefined) throw new Error(`ENOENT: ${path}`);
      return text;
    },
  };
}

const locate = (options: Omit<LocateColibriRuntimeOptions, 'runtimeDirFlag'>, flag = '--runtime-dir') =>
  locateColibriRuntime({ runtimeDirFlag: flag, ...options });

/** The error `call` throws (it must throw). */
function refusal(call: () => unknown): { code: string; message: string; details: Record<string, unknown> } {
  try {
    call();
  } catch (error) {
    return error as { code: string; message: string; details: Record<string, unknown> };
  }
  throw new Error('expected a refusal');
}

const workspace = fakeFs({
  '/src/colibri/pnpm-workspace.yaml': '',
  '/src/colibri/apps/colibri/bin/run.js': '',
  '/src/colibri/apps/colibri/package.json': '{"name":"@colibri/cli","version":"0.3.1"}',
});

describe('installationRoot', () => {
  it('a pnpm workspace: the directory holding pnpm-workspace.yaml', () => {
    expect(
      installationRoot('/work/main/apps/colibri', fakeFs({ '/work/main/pnpm-workspace.yaml': '' })),
    ).toBe('/work/main');
  });

  it('an npm install: the parent of the top-most node_modules', () => {
    expect(installationRoot('/opt/colibri/node_modules/@colibri/cli', fakeFs())).toBe('/opt/colibri');
    expect(installationRoot('/opt/colibri/node_modules/@colibri/daemon', fakeFs())).toBe('/opt/colibri');
    expect(installationRoot('/opt/x/node_modules/a/node_modules/@colibri/cli', fakeFs())).toBe('/opt/x');
  });

  it('otherwise the package directory itself', () => {
    expect(installationRoot('/opt/colibri-cli', fakeFs())).toBe('/opt/colibri-cli');
  });
});

describe('locateColibriRuntime', () => {
  it("a workspace checkout: the workspace root, its apps/colibri entry and that CLI's version", () => {
    expect(locate({ packageDir: '/src/colibri/apps/daemon/', fs: workspace })).toEqual({
      version: '0.3.1',
      root: '/src/colibri',
      entry: '/src/colibri/apps/colibri/bin/run.js',
    });
  });

  it("names the CLI's light run-agent entry when the CLI has one built", () => {
    const built = fakeFs({
      '/src/colibri/pnpm-workspace.yaml': '',
      '/src/colibri/apps/colibri/bin/run.js': '',
      '/src/colibri/apps/colibri/dist/run-agent.bundle.cjs': '',
      '/src/colibri/apps/colibri/package.json': '{"name":"@colibri/cli","version":"0.3.1"}',
    });
    expect(locate({ packageDir: '/src/colibri/apps/daemon', fs: built })).toEqual({
      version: '0.3.1',
      root: '/src/colibri',
      entry: '/src/colibri/apps/colibri/bin/run.js',
      agentEntry: '/src/colibri/apps/colibri/dist/run-agent.bundle.cjs',
    });
  });

  it("the CLI's own installation by default, pinned to its version", () => {
    expect(locate({ packageDir: '/src/colibri/apps/colibri', version: '0.3.1', fs: workspace })).toEqual({
      version: '0.3.1',
      root: '/src/colibri',
      entry: '/src/colibri/apps/colibri/bin/run.js',
    });
  });

  it('an npm install: the parent of the top-most node_modules and its @colibri/cli', () => {
    const fs = fakeFs({
      '/opt/colibri/node_modules/@colibri/cli/bin/run.js': '',
      '/opt/colibri/node_modules/@colibri/cli/package.json': '{"version":"1.0.0"}',
    });
    expect(locate({ packageDir: '/opt/colibri/node_modules/@colibri/daemon', fs })).toEqual({
      root: '/opt/colibri',
      entry: '/opt/colibri/node_modules/@colibri/cli/bin/run.js',
      version: '1.0.0',
    });
  });

  it('runtimeDir names another installation: the first entry found there, in candidate order', () => {
    const fs = fakeFs({
      '/srv/copy/apps/colibri/bin/run.js': '',
      '/srv/copy/apps/colibri/package.json': '{"version":"0.3.0"}',
      '/srv/copy/node_modules/@colibri/cli/bin/run.js': '',
      '/srv/copy/node_modules/@colibri/cli/package.json': '{"version":"9.9.9"}',
      '/srv/rt/bin/run.js': '',
      '/srv/rt/package.json': '{"version":"2.0.0"}',
    });
    expect(locate({ packageDir: '/x', version: '0.3.0', runtimeDir: '/srv/copy/', fs })).toEqual({
      version: '0.3.0',
      root: '/srv/copy',
      entry: '/srv/copy/apps/colibri/bin/run.js',
    });
    expect(locate({ packageDir: '/x', runtimeDir: '/srv/rt', fs }, '--spawn-runtime-dir')).toEqual({
      version: '2.0.0',
      root: '/srv/rt',
      entry: '/srv/rt/bin/run.js',
    });
    // Blank is "not given": the caller's own installation.
    expect(locate({ packageDir: '/src/colibri/apps/colibri', runtimeDir: '  ', fs: workspace }).root).toBe(
      '/src/colibri',
    );
  });

  it('no CLI there: COLIBRI_RUNTIME_UNAVAILABLE naming the flag, the directory and what was looked for', () => {
    expect(
      refusal(() => locate({ packageDir: '/x', version: '0.3.0', runtimeDir: '/empty', fs: fakeFs() })),
    ).toMatchObject({
      code: 'COLIBRI_RUNTIME_UNAVAILABLE',
      message: expect.stringMatching(
        /^--runtime-dir \/empty holds no colibri CLI \(looked for apps\/colibri\/bin\/run\.js, node_modules\/@colibri\/cli\/bin\/run\.js, bin\/run\.js\): install @colibri\/cli 0\.3\.0 there, or leave --runtime-dir out/,
      ),
      details: { runtimeDir: '/empty' },
    });
    expect(
      refusal(() =>
        locate({ packageDir: '/x', runtimeDir: '/srv/empty', fs: fakeFs() }, '--spawn-runtime-dir'),
      ).message,
    ).toMatch(
      /^--spawn-runtime-dir \/srv\/empty holds no colibri CLI \(looked for apps\/colibri\/bin\/run\.js/,
    );
    expect(
      refusal(() => locate({ packageDir: '/opt/colibri-daemon', fs: fakeFs() }, '--spawn-runtime-dir'))
        .message,
    ).toMatch(
      /^the installation \/opt\/colibri-daemon belongs to \(\/opt\/colibri-daemon\) holds no colibri CLI .*name an installation with --spawn-runtime-dir DIR$/,
    );
  });

  it('a version missing, unreadable or other than the pinned one: COLIBRI_RUNTIME_UNAVAILABLE naming both', () => {
    const at = (manifest: string | undefined) =>
      fakeFs({
        '/srv/rt/bin/run.js': '',
        ...(manifest === undefined ? {} : { '/srv/rt/package.json': manifest }),
      });
    const message = (manifest: string | undefined, version?: string) => {
      const error = refusal(() =>
        locate({ packageDir: '/x', runtimeDir: '/srv/rt', version, fs: at(manifest) }),
      );
      expect(error.code).toBe('COLIBRI_RUNTIME_UNAVAILABLE');
      return error.message;
    };
    expect(message('{}')).toBe('--runtime-dir /srv/rt: /srv/rt/package.json declares no version');
    expect(message('null')).toMatch(/declares no version/);
    expect(message(undefined)).toMatch(
      /^--runtime-dir \/srv\/rt: cannot read the CLI's version from \/srv\/rt\/package\.json \(ENOENT/,
    );
    expect(message('{"version":')).toMatch(/cannot read the CLI's version/);
    expect(message('{"version":"0.2.0"}', '0.3.0')).toBe(
      '--runtime-dir /srv/rt holds colibri 0.2.0 (/srv/rt/package.json), but the runtime is pinned to 0.3.0: ' +
        'install @colibri/cli 0.3.0 there, or leave --runtime-dir out to use the installation /x belongs to',
    );
  });

  it('a relative directory is the caller’s mistake: COLIBRI_INVALID_INPUT', () => {
    expect(refusal(() => locate({ packageDir: '/x', runtimeDir: 'copy', fs: fakeFs() }))).toMatchObject({
      code: 'COLIBRI_INVALID_INPUT',
      message: '--runtime-dir must be an absolute path, got "copy"',
    });
    expect(refusal(() => locate({ packageDir: 'apps/colibri', fs: fakeFs() })).code).toBe(
      'COLIBRI_INVALID_INPUT',
    );
  });
});
