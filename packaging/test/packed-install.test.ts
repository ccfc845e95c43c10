// What an operator gets: every published package packed (`pnpm pack`), the two apps installed
// from their tarballs with `npm install -g` into a private prefix, and a hive run from there —
// colibrid, `colibri status`, `register-agent`, `intake-task`, `run-agent` — with no checkout on
// PATH, in the working directory or in NODE_PATH. One install serves every check in this file;
// vitest runs the other packaging files beside it.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  accessSync,
  chmodSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type PackedPackage,
  readPacked,
  type ScopedRegistry,
  startScopedRegistry,
} from './scoped-registry.js';
import { listWorkspacePackages } from './workspace-packages.js';

const root = realpathSync(new URL('../..', import.meta.url).pathname);
const published = listWorkspacePackages(root).filter((p) => !p.private);
const apps = published.filter((p) => p.dir.startsWith('apps/'));
const libraries = published.filter((p) => p.dir.startsWith('packages/'));
/** Runtime dependencies a library pins on purpose (the vault checks it runs exactly this bw). */
const EXACT_PINS = new Set(['@bitwarden/cli']);

const scratch = realpathSync(mkdtempSync(join(tmpdir(), 'colibri-packed-')));
const prefix = join(scratch, 'prefix');
const bin = (name: string) => join(prefix, 'bin', name);
/** The environment every installed command runs in: the prefix's bin and the system, nothing else. */
const installedEnv = {
  PATH: `${join(prefix, 'bin')}:/usr/local/bin:/usr/bin:/bin`,
  HOME: join(scratch, 'user-home'),
  LANG: 'C.UTF-8',
};
let packed: PackedPackage[] = [];
let registry: ScopedRegistry | undefined;
const children: ChildProcess[] = [];

beforeAll(async () => {
  mkdirSync(installedEnv.HOME);
  const tarballs = join(scratch, 'tarballs');
  mkdirSync(tarballs);
  // pnpm rewrites workspace: ranges to the versions being packed, as `pnpm publish` does.
  // One pnpm for all of them (each pnpm start costs seconds on a loaded machine).
  execFileSync(
    'pnpm',
    ['-r', ...published.flatMap((pkg) => ['--filter', pkg.name]), 'pack', '--pack-destination', tarballs],
    { cwd: root, stdio: 'pipe' },
  );
  packed = readdirSync(tarballs).map((file) => readPacked(join(tarballs, file)));
  registry = await startScopedRegistry(packed);
  const appTarballs = apps.map((app) => {
    const found = packed.find((p) => p.manifest.name === app.name);
    if (found === undefined) throw new Error(`${app.name} was not packed`);
    return found.file;
  });
  // Asynchronous, so vitest's own timers keep running while npm downloads and compiles.
  const install = await runAsync(
    'npm',
    [
      'install',
      '--global',
      '--prefix',
      prefix,
      `--@colibri:registry=${registry.url}`,
      '--prefer-offline',
      '--allow-scripts=better-sqlite3',
      '--no-audit',
      '--no-fund',
      '--loglevel=warn',
      ...appTarballs,
    ],
    {
      cwd: scratch,
      env: {
        // npm itself gets the caller's environment (proxy, CA bundle, npm config); the installed
        // commands below get only the prefix.
        ...process.env,
        // better-sqlite3 compiles against Node's own headers (its prebuilt download is unreachable).
        npm_config_nodedir: process.env.npm_config_nodedir ?? '/usr',
      },
    },
  );
  if (install.status !== 0) {
    throw new Error(`npm install -g failed (${install.status}):\n${install.stderr}\n${install.stdout}`);
  }
  // A failure guard, not a speed check: on a quiet machine the install takes a few minutes (most of
  // it compiling better-sqlite3); on a loaded shared one it has taken over twenty.
}, 2_700_000);

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await registry?.close();
  rmSync(scratch, { recursive: true, force: true });
  // A failure guard: removing the ~250 MB prefix took over a minute on a loaded machine.
}, 600_000);

const run = (command: string, args: readonly string[], cwd = scratch) =>
  spawnSync(bin(command), args, { cwd, encoding: 'utf8', env: installedEnv, timeout: 60_000 });

/** Where an installed package lives: top-level for the apps, inside an app for libraries. */
function installedDir(name: string): string {
  const top = join(prefix, 'lib/node_modules', name);
  if (existsSync(top)) return top;
  for (const app of apps) {
    const nested = join(prefix, 'lib/node_modules', app.name, 'node_modules', name);
    if (existsSync(nested)) return nested;
  }
  throw new Error(`${name} is not installed under ${prefix}`);
}

function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') yield* walk(path);
    } else yield path;
  }
}

describe('packed packages', () => {
  it('every published workspace package is packed exactly once', () => {
    expect(packed.map((p) => p.manifest.name).sort()).toEqual(published.map((p) => p.name).sort());
  });

  it.each(published.map((p) => p.name))('%s: metadata a registry and its users need', (name) => {
    const pkg = packed.find((p) => p.manifest.name === name) as PackedPackage;
    const m = pkg.manifest as Record<string, unknown> & {
      dependencies?: Record<string, string>;
      exports?: Record<string, Record<string, string>>;
      repository?: { url?: string; directory?: string };
      engines?: { node?: string };
    };
    const files = execFileSync('tar', ['-tzf', pkg.file], { encoding: 'utf8' }).split('\n');
    expect(files).toContain('package/LICENSE');
    expect(files).toContain('package/README.md');
    expect(m.license).toBe('MIT');
    expect(m.repository?.url).toMatch(/^git\+https:\/\//);
    expect(m.engines?.node).toBeTruthy();
    expect(m.private).toBeUndefined();
    expect(
      files.some((f) => /\.test\.(ts|js)$/.test(f)),
      'tests are not shipped',
    ).toBe(false);
    for (const [dep, range] of Object.entries(m.dependencies ?? {})) {
      expect(range, `${name} → ${dep}`).not.toMatch(/^workspace:/);
      if (libraries.some((l) => l.name === name) && !EXACT_PINS.has(dep)) {
        expect(range, `${name} → ${dep}: a library takes a caret range`).toMatch(/^\^/);
      }
    }
    for (const [subpath, conditions] of Object.entries(m.exports ?? {})) {
      expect(conditions.default, `${name} exports ${subpath} has a default condition`).toBeTruthy();
    }
  });
});

describe('installed with npm install -g from the tarballs', () => {
  it('puts colibri and colibrid on the prefix, pointing into the installed packages', () => {
    for (const name of ['colibri', 'colibrid']) {
      const target = realpathSync(bin(name));
      expect(relative(prefix, target).startsWith('..'), `${name} → ${target}`).toBe(false);
      accessSync(target, constants.X_OK);
    }
    // Every @colibri package came from the tarballs: the scoped registry served each one.
    const served = new Set(registry?.requests.filter((path) => path.startsWith('/@colibri/')));
    for (const lib of libraries) expect(served.has(`/${lib.name}`), lib.name).toBe(true);
  });

  it('--version prints the packages’ versions', () => {
    const cli = apps.find((a) => a.dir === 'apps/colibri');
    const daemon = apps.find((a) => a.dir === 'apps/daemon');
    expect(run('colibri', ['--version']).stdout).toContain(`${cli?.version}`);
    expect(run('colibrid', ['--version']).stdout.trim()).toBe(`colibrid ${daemon?.version}`);
  });

  it.each(libraries.map((l) => l.name))('%s: require() loads it (the default export condition)', (name) => {
    const dir = installedDir(name);
    const required = createRequire(join(dirname(dir), 'consumer.cjs'))(name) as Record<string, unknown>;
    expect(Object.keys(required).length).toBeGreaterThan(0);
  });

  it('every source map names sources that are installed beside it', () => {
    let maps = 0;
    for (const pkg of published) {
      for (const file of walk(installedDir(pkg.name))) {
        if (!file.endsWith('.map')) continue;
        maps++;
        const map = JSON.parse(readFileSync(file, 'utf8')) as { sources: string[]; sourceRoot?: string };
        for (const source of map.sources) {
          const path = resolve(dirname(file), map.sourceRoot ?? '', source);
          expect(
            existsSync(path),
            `${relative(prefix, file)} → ${source} (a stale file in dist? pack from a clean build)`,
          ).toBe(true);
        }
      }
    }
    expect(maps).toBeGreaterThan(0);
  });

  it('colibrid reads its config file and --print-config shows each value and its source', () => {
    const file = join(scratch, 'colibrid.yaml');
    writeFileSync(file, 'log-level: warn\nheartbeat-ttl: 45s\n');
    const result = run('colibrid', ['--config', file, '--print-config', '--grace', '3s']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^log-level +warn +\\(file ${file}\\)$`, 'm'));
    expect(result.stdout).toMatch(/^heartbeat-ttl +45s +\(file /m);
    expect(result.stdout).toMatch(/^grace +3s +\(flag\)$/m);
    const bad = run('colibrid', ['--config', file, '--log-level', 'nope']);
    expect(bad.status).toBe(2);
    writeFileSync(file, 'lease: later\n');
    const badFile = run('colibrid', ['--config', file, '--print-config']);
    expect(badFile.status).toBe(2);
    expect(badFile.stderr).toContain(`${file}: lease: must be a duration`);
  });

  it('the systemd units and rc.d scripts start the installed bins', () => {
    // Packaged for a prefix of /usr/local (npm's global prefix with Debian's and FreeBSD's node).
    const mentioned: string[] = [];
    const services = [
      ...readdirSync(join(root, 'packaging/linux/systemd')).map((f) =>
        join(root, 'packaging/linux/systemd', f),
      ),
      ...readdirSync(join(root, 'packaging/freebsd/rc.d')).map((f) =>
        join(root, 'packaging/freebsd/rc.d', f),
      ),
    ];
    for (const file of services) {
      for (const match of readFileSync(file, 'utf8').matchAll(/\/usr\/local\/(?:bin|lib)\/\S*colibri\S*/g)) {
        const path = match[0].replace(/["'}]+$/, '');
        mentioned.push(path);
        const installed = join(prefix, path.slice('/usr/local/'.length));
        expect(existsSync(installed), `${relative(root, file)} names ${path}`).toBe(true);
      }
    }
    expect(mentioned).toContain('/usr/local/bin/colibrid');
    expect(mentioned).toContain('/usr/local/bin/colibri');
  });

  it('runs a hive: colibrid, status, register-agent, intake-task, run-agent', async () => {
    const home = join(scratch, 'hive');
    const handlers = join(scratch, 'handlers');
    mkdirSync(handlers);
    writeFileSync(join(handlers, 'echo'), '#!/bin/sh\ncat\n');
    chmodSync(join(handlers, 'echo'), 0o755);
    const global = ['--home', home];

    const daemon = spawn(bin('colibrid'), ['--home', home, '--log-level', 'warn'], {
      cwd: scratch,
      env: installedEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(daemon);
    let daemonOutput = '';
    daemon.stdout?.on('data', (chunk: Buffer) => {
      daemonOutput += chunk;
    });
    daemon.stderr?.on('data', (chunk: Buffer) => {
      daemonOutput += chunk;
    });
    const status = await eventually(() => {
      const result = run('colibri', ['status', '--json', ...global]);
      if (result.status !== 0)
        throw new Error(`colibri status: ${result.stdout}${result.stderr}${daemonOutput}`);
      return JSON.parse(result.stdout) as { version: string; driver: string };
    });
    const daemonPackage = apps.find((a) => a.dir === 'apps/daemon');
    expect(status.version).toBe(daemonPackage?.version);
    expect(status.driver).toBe('sqlite');
    // Nothing of the checkout: the daemon runs from the prefix, in the scratch directory.
    expect(realpathSync(`/proc/${daemon.pid}/cwd`)).toBe(scratch);
    const cmdline = readFileSync(`/proc/${daemon.pid}/cmdline`, 'utf8');
    expect(cmdline).not.toContain(root);

    const metrics = await scrape(
      join(home, 'colibri.sock'),
      readFileSync(join(home, 'operator.token'), 'utf8'),
    );
    expect(metrics).toContain(`colibri_build_info{version="${daemonPackage?.version}"} 1`);

    const registered = run('colibri', [
      'register-agent',
      'lane-1',
      '--capabilities',
      'packed',
      '--json',
      ...global,
    ]);
    expect(registered.stderr).toBe('');
    expect(registered.status).toBe(0);
    expect((JSON.parse(registered.stdout) as { agent: { name: string } }).agent.name).toBe('lane-1');

    const agent = spawn(
      bin('colibri'),
      [
        'run-agent',
        '--name',
        'packed-agent',
        '--capabilities',
        'packed-install',
        '--handlers',
        handlers,
        '--json',
        ...global,
      ],
      { cwd: scratch, env: installedEnv, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(agent);
    const intake = spawnSync(
      bin('colibri'),
      [
        'intake-task',
        '--title',
        'echo from the packed install',
        '--capabilities',
        'packed-install',
        '--payload',
        '{"handler":"echo","from":"tarball"}',
        '--wait',
        '60',
        '--json',
        ...global,
      ],
      { cwd: scratch, encoding: 'utf8', env: installedEnv, timeout: 90_000 },
    );
    expect(intake.stderr).toBe('');
    expect(intake.status).toBe(0);
    const task = JSON.parse(intake.stdout) as { task: { status: string; result: unknown } };
    expect(task.task.status).toBe('done');
    expect(task.task.result).toEqual({ handler: 'echo', from: 'tarball' });

    agent.kill('SIGTERM');
    daemon.kill('SIGTERM');
    const [agentCode, daemonCode] = await Promise.all([exited(agent), exited(daemon)]);
    expect(agentCode).toBe(0);
    expect(daemonCode).toBe(0);
  });
});

function runAsync(
  command: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

async function eventually<T>(probe: () => T, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return probe();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

function scrape(socketPath: string, token: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath, path: '/metrics', headers: { authorization: `Bearer ${token.trim()}` } },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => {
          body += chunk;
        });
        res.on('end', () => resolve(body));
      },
    );
    req.on('error', reject);
    req.end();
  });
}
