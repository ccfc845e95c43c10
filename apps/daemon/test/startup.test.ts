import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createClient } from '@colibri/client';
import { afterEach, describe, expect, it } from 'vitest';
import { type Daemon, MAIN, startDaemon } from './daemon-harness.js';

const run = promisify(execFile);

async function colibrid(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [MAIN, ...args], {
      env: { PATH: process.env.PATH ?? '' },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('starting colibrid', () => {
  let daemon: Daemon | undefined;
  const dirs: string[] = [];
  afterEach(async () => {
    await daemon?.dispose();
    daemon = undefined;
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('creates a private home, the database and a 0600 operator token, reused on restart', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'colibrid-start-'));
    dirs.push(parent);
    const home = join(parent, 'nested', 'home');
    daemon = await startDaemon({ home, keepHome: true });
    expect(statSync(home).mode & 0o777).toBe(0o700);
    expect(statSync(join(home, 'operator.token')).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, 'colibri.db')).mode & 0o777).toBe(0o600);
    expect(statSync(daemon.socketPath).mode & 0o777).toBe(0o660);
    const token = readFileSync(join(home, 'operator.token'), 'utf8').trim();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await daemon.operator.registerAgent({ name: 'kept', capabilities: [] });
    expect(await daemon.stop()).toEqual({ code: 0, signal: null });

    daemon = await startDaemon({ home });
    expect(daemon.operatorToken).toBe(token);
    expect((await daemon.operator.listAgents()).agents.map((a) => a.name)).toEqual(['kept']);
  });

  it('refuses to start with a spawn policy it cannot use or a half-configured spawner, naming the problem', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'colibrid-policy-'));
    dirs.push(dir);
    const home = join(dir, 'home');
    const policy = join(dir, 'policy.yaml');
    writeFileSync(policy, 'maxChildren: 1\nallowedTenant: [acme]\n');
    const bad = await colibrid('--home', home, '--spawn-policy', policy);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      `colibrid: spawn policy ${policy}: allowedTenant: unknown field (the fields are maxChildren, maxDepth, allowedTenants, allowSharedLane, allowedCapabilities)\n`,
    );
    const missing = await colibrid('--home', home, '--spawn-policy', join(dir, 'absent.yaml'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('absent.yaml: cannot read it (ENOENT)');
    const stray = await colibrid('--home', home, '--jail-root', dir);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toBe(
      'colibrid: --jail-root configures spawning: pass --spawn-driver linux|bastille with it\n',
    );
    const noCredentials = await colibrid(
      '--home',
      home,
      '--spawn-driver',
      'linux',
      '--vault-server',
      'https://v.example',
    );
    expect(noCredentials.code).toBe(2);
    expect(noCredentials.stderr).toMatch(/BW_CLIENTID, BW_CLIENTSECRET, BW_PASSWORD are not set/);
  });

  it('refuses to start while another colibrid answers on the socket', async () => {
    daemon = await startDaemon();
    const second = await colibrid('--home', daemon.home);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/^colibrid: another colibrid is already serving on .*colibri\.sock/);
    expect((await daemon.operator.status()).driver).toBe('sqlite');
  });

  it('never deletes a socket path that is not a socket', async () => {
    const home = mkdtempSync(join(tmpdir(), 'colibrid-start-'));
    dirs.push(home);
    writeFileSync(join(home, 'colibri.sock'), 'precious');
    const result = await colibrid('--home', home);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('exists and is not a socket; refusing to remove it');
    expect(readFileSync(join(home, 'colibri.sock'), 'utf8')).toBe('precious');
  });

  it('serves TCP on exactly the --listen address', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as { port: number };
    await new Promise((resolve) => probe.close(resolve));
    daemon = await startDaemon({ args: ['--listen', `127.0.0.1:${port}`] });
    const tcp = createClient({ url: `http://127.0.0.1:${port}`, token: daemon.operatorToken });
    expect((await tcp.status()).driver).toBe('sqlite');
    expect(await tcp.status().then(() => 'ok')).toBe('ok');
    expect(
      await createClient({ url: `http://127.0.0.1:${port}` })
        .status()
        .catch((e: { code: string }) => e.code),
    ).toBe('COLIBRI_UNAUTHENTICATED');
  });

  it('explains every flag in --help and prints its version', async () => {
    const help = await colibrid('--help');
    expect(help.code).toBe(0);
    for (const flag of [
      '--home',
      '--socket',
      '--db',
      '--database-url',
      '--listen',
      '--heartbeat-ttl',
      '--grace',
      '--lease',
      '--sweep-interval',
      '--log-level',
      'COLIBRI_HOME',
      'COLIBRI_DATABASE_URL',
    ]) {
      expect(help.stdout).toContain(flag);
    }
    expect((await colibrid('--version')).stdout).toMatch(/^colibrid \d+\.\d+\.\d+\n$/);
  });

  it.each([
    [['--bogus'], /Unknown option '--bogus'/],
    [['--lease', 'soon'], /--lease "soon" is not a duration/],
    [['--heartbeat-ttl', '0s'], /--heartbeat-ttl must be more than 0/],
    [['--listen', 'localhost:9190'], /is not an IP address/],
    [['--listen', '127.0.0.1:99999'], /out of range/],
    [['--db', '/tmp/x.db', '--database-url', 'postgresql://x/y'], /mutually exclusive/],
    [['--database-url', 'mysql://x'], /must start with postgresql:\/\//],
    [['--log-level', 'loud'], /--log-level "loud" is not one of/],
  ])('refuses %j with exit 2 and one line', async (args, message) => {
    const home = mkdtempSync(join(tmpdir(), 'colibrid-start-'));
    dirs.push(home);
    mkdirSync(home, { recursive: true });
    const result = await colibrid('--home', home, ...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });
});
