/**
 * The sandbox the linux driver builds, run for real as root: who runs inside, what it can see and
 * touch, its process limit, its network, the per-jail daemon socket, and what a killed keeper
 * leaves behind (nothing).
 */

import { readFile, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JailDriver, JailInfo } from '../src/jail-driver.js';
import { createLinuxDriver } from '../src/linux/linux-driver.js';
import { findSystemCommand } from '../src/linux/linux-driver-options.js';
import { processesOfUid } from '../src/linux/process-table.js';
import { buildSandboxArgv, hostSystemDirs } from '../src/linux/sandbox-argv.js';
import { runCommand } from '../src/run-command.js';
import {
  builtKeeperEntry,
  installFixtureRuntime,
  installScriptRuntime,
  makeTempBase,
  readOptional,
  waitFor,
  waitForNoProcesses,
} from './linux-test-support.js';

const commands = {
  bwrap: findSystemCommand('bwrap'),
  setpriv: findSystemCommand('setpriv'),
  prlimit: findSystemCommand('prlimit'),
};

let base: string;
let cleanup: () => Promise<void>;
let jailRoot: string;
let driver: JailDriver;
let jailA: JailInfo;
let jailB: JailInfo;

/** Runs `script` with /bin/sh inside jail `info`'s sandbox, exactly as the driver builds it. */
function inJail(
  info: JailInfo,
  script: string,
  options: { maxProcesses?: number; network?: 'none' | 'host' } = {},
) {
  const { file, args } = buildSandboxArgv({
    commands,
    uid: info.owner.uid,
    gid: info.owner.gid,
    maxProcesses: options.maxProcesses ?? 64,
    network: options.network ?? 'none',
    home: info.home,
    etcDir: join(jailRoot, info.name, 'etc'),
    systemDirs: hostSystemDirs(),
    command: ['/bin/sh', '-c', script],
  });
  return runCommand(file, args, { timeoutMs: 60_000 });
}

beforeAll(async () => {
  ({ base, cleanup } = await makeTempBase('colibri-linux-sandbox-'));
  jailRoot = join(base, 'jails');
  driver = createLinuxDriver({
    jailRoot,
    keeperEntry: await builtKeeperEntry(),
    uidRange: { first: 472_000, last: 472_999 },
    uidClaimDir: join(base, 'uid-claims'),
  });
  jailA = await driver.create({ name: 'sand-a', agentName: 'sand-a', tenant: 'sand-a' });
  jailB = await driver.create({ name: 'sand-b', agentName: 'sand-b', tenant: 'sand-b' });
  await writeFile(join(jailB.home, 'secret-of-b'), 'b only\n', { mode: 0o600 });
});

afterAll(async () => {
  for (const name of ['sand-a', 'sand-b', 'sock-a', 'sock-b', 'kill-a', 'url-a'])
    await driver?.destroy(name).catch(() => undefined);
  await cleanup?.();
});

describe('the linux sandbox', () => {
  it('runs as the jail uid/gid with no capabilities and no new privileges', async () => {
    const result = await inJail(
      jailA,
      'id -u; id -g; id -G; grep -E "^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):" /proc/self/status',
    );
    expect(result.exitCode).toBe(0);
    const [uid, gid, groups, ...status] = result.stdout.trim().split('\n');
    expect(Number(uid)).toBe(jailA.owner.uid);
    expect(Number(gid)).toBe(jailA.owner.gid);
    expect(groups?.trim()).toBe(String(jailA.owner.gid));
    expect(status.map((line) => line.replace(/\s+/g, ' '))).toEqual([
      'CapInh: 0000000000000000',
      'CapPrm: 0000000000000000',
      'CapEff: 0000000000000000',
      'CapBnd: 0000000000000000',
      'CapAmb: 0000000000000000',
      'NoNewPrivs: 1',
    ]);
  });

  it('has read-only system directories and a writable home owned by the jail user', async () => {
    const result = await inJail(
      jailA,
      'touch /usr/colibri-probe 2>&1; echo "usr=$?"; touch /etc/passwd 2>&1; echo "etc=$?"; echo hi > /home/agent/written; echo "home=$?"; grep agent /etc/passwd',
    );
    expect(result.stdout).toMatch(/Read-only file system[\s\S]*usr=1/);
    expect(result.stdout).toContain('etc=1');
    expect(result.stdout).toContain('home=0');
    expect(result.stdout).toContain(`agent:x:${jailA.owner.uid}:${jailA.owner.gid}:`);
    const written = await readFile(join(jailA.home, 'written'), 'utf8');
    expect(written).toBe('hi\n');
  });

  it("cannot see another jail's home or the jail root", async () => {
    const result = await inJail(
      jailA,
      `ls -a /home; test -e ${jailB.home} && echo "sees-b-home"; test -e ${jailRoot} && echo "sees-root"; cat ${jailB.home}/secret-of-b 2>/dev/null; ls /home/agent`,
    );
    expect(result.exitCode).toBe(0);
    expect(result.stdout.split('\n').slice(0, 3)).toEqual(['.', '..', 'agent']);
    expect(result.stdout).not.toContain('sees-b-home');
    expect(result.stdout).not.toContain('sees-root');
    expect(result.stdout).not.toContain('b only');
    expect(result.stdout).not.toContain('secret-of-b');
  });

  it('shows only its own processes in /proc', async () => {
    const result = await inJail(jailA, 'echo "self=$$"; ls /proc | grep -cE "^[0-9]+$"');
    const [self, count] = result.stdout.trim().split('\n');
    expect(self).toBe('self=2');
    expect(Number(count)).toBeLessThan(6);
    // The host has many more: the namespace is what hides them.
    expect((await processesOfUid(0)).length).toBeGreaterThan(Number(count));
  });

  it('stops a fork loop at the process limit (RLIMIT_NPROC of the jail uid)', async () => {
    // Control: within the limit, three background sleeps start fine.
    const few = await inJail(jailA, 'for i in 1 2 3; do sleep 30 & done; echo spawned-all', {
      maxProcesses: 12,
    });
    expect(few.exitCode).toBe(0);
    expect(few.stdout).toContain('spawned-all');
    await waitForNoProcesses(jailA.owner.uid);
    const many = await inJail(jailA, 'for i in $(seq 40); do sleep 30 & done; echo spawned-all', {
      maxProcesses: 12,
    });
    expect(many.stdout).not.toContain('spawned-all');
    expect(many.stderr).toMatch(/fork/i);
    expect(many.exitCode).not.toBe(0);
    // The sandbox's pid 1 went away with the shell, taking the sleeps with it.
    await waitForNoProcesses(jailA.owner.uid);
  });

  it("has only loopback with network 'none', the host's interfaces with 'host'", async () => {
    const interfaces = (text: string) =>
      text
        .split('\n')
        .slice(2)
        .map((line) => line.split(':')[0]?.trim())
        .filter((name): name is string => name !== undefined && name !== '');
    const none = await inJail(jailA, 'cat /proc/net/dev');
    expect(interfaces(none.stdout)).toEqual(['lo']);
    const host = await inJail(jailA, 'cat /proc/net/dev', { network: 'host' });
    const hostInterfaces = interfaces(await readFile('/proc/net/dev', 'utf8'));
    expect(hostInterfaces.length).toBeGreaterThan(1);
    expect(interfaces(host.stdout).sort()).toEqual(hostInterfaces.sort());
  });
});

describe('the per-jail daemon socket', () => {
  let stub: Server;
  let stubSocket: string;
  const seen: Array<{ url: string | undefined; via: string }> = [];
  // A runtime whose run-agent calls "colibrid" through the socket and writes the reply to $HOME.
  const probeScript = `import { request } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
if (process.argv[2] === '--version') { console.log('colibri/' + version + ' linux-x64'); process.exit(0); }
const socketPath = process.argv[process.argv.indexOf('--socket') + 1];
const req = request({ socketPath, path: '/v1/health', method: 'GET' }, (res) => {
  let body = '';
  res.on('data', (chunk) => { body += chunk; });
  res.on('end', () => writeFileSync(process.env.HOME + '/reply.json', JSON.stringify({ status: res.statusCode, body })));
});
req.on('error', (error) => writeFileSync(process.env.HOME + '/reply.json', JSON.stringify({ error: error.message })));
req.end();
setInterval(() => {}, 1 << 30);
process.on('SIGTERM', () => process.exit(0));
`;

  beforeAll(async () => {
    stubSocket = join(base, 'colibrid.sock');
    stub = createHttpServer((req, res) => {
      seen.push({ url: req.url, via: 'unix' });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ ok: true, daemon: 'stub' }));
    });
    await new Promise<void>((resolve) => stub.listen(stubSocket, resolve));
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => stub?.close(() => resolve()));
  });

  it("lets the agent reach colibrid, and no other jail's uid reach its socket", async () => {
    const runtime = await installScriptRuntime(join(base, 'probe-runtime'), probeScript);
    const a = await driver.create({ name: 'sock-a', agentName: 'sock-a', tenant: 'sock-a' });
    const b = await driver.create({ name: 'sock-b', agentName: 'sock-b', tenant: 'sock-b' });
    await driver.bootstrap('sock-a', runtime);
    expect(
      await driver.startAgent('sock-a', {
        agentName: 'sock-a',
        tenant: 'sock-a',
        capabilities: null,
        daemon: { socketPath: stubSocket },
      }),
    ).toBe('started');
    const reply = JSON.parse(await waitFor('reply.json', () => readOptional(join(a.home, 'reply.json'))));
    expect(reply).toEqual({ status: 200, body: JSON.stringify({ ok: true, daemon: 'stub' }) });
    expect(seen).toContainEqual({ url: '/v1/health', via: 'unix' });

    const socket = join(jailRoot, 'sock-a', 'sock', 'colibri.sock');
    const connectAs = (uid: number) =>
      runCommand(commands.setpriv, [
        `--reuid=${uid}`,
        `--regid=${uid}`,
        '--clear-groups',
        process.execPath,
        '-e',
        `require('net').connect(${JSON.stringify(socket)}).on('connect', () => { console.log('connected'); process.exit(0); }).on('error', (e) => { console.log(e.code); process.exit(1); });`,
      ]);
    const own = await connectAs(a.owner.uid);
    expect(own.stdout.trim()).toBe('connected');
    const other = await connectAs(b.owner.uid);
    expect(other.stdout.trim()).toBe('EACCES');
    const nobody = await connectAs(65534);
    expect(nobody.stdout.trim()).toBe('EACCES');

    expect(await driver.destroy('sock-a')).toBe('destroyed');
    expect(await driver.destroy('sock-b')).toBe('destroyed');
  });

  it('proxies to a daemon URL (http host:port) as well', async () => {
    const tcp = createHttpServer((req, res) => {
      seen.push({ url: req.url, via: 'tcp' });
      res.end('tcp-stub');
    });
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    const address = tcp.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const runtime = await installScriptRuntime(join(base, 'probe-runtime-url'), probeScript);
      const info = await driver.create({ name: 'url-a', agentName: 'url-a', tenant: 'url-a' });
      await driver.bootstrap('url-a', runtime);
      await driver.startAgent('url-a', {
        agentName: 'url-a',
        tenant: 'url-a',
        capabilities: null,
        daemon: { url: `http://127.0.0.1:${port}` },
      });
      const reply = JSON.parse(
        await waitFor('reply.json', () => readOptional(join(info.home, 'reply.json'))),
      );
      expect(reply).toEqual({ status: 200, body: 'tcp-stub' });
      expect(seen).toContainEqual({ url: '/v1/health', via: 'tcp' });
      expect(await driver.destroy('url-a')).toBe('destroyed');
    } finally {
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
    }
  });
});

describe('the keeper', () => {
  it('takes the sandboxed agent with it when it is SIGKILLed, and startAgent then repairs', async () => {
    const runtime = await installFixtureRuntime(join(base, 'kill-runtime'));
    const info = await driver.create({ name: 'kill-a', agentName: 'kill-a', tenant: 'kill-a' });
    await driver.bootstrap('kill-a', runtime);
    const launch = {
      agentName: 'kill-a',
      tenant: 'kill-a',
      capabilities: null,
      daemon: { socketPath: join(base, 'none.sock') },
    };
    await driver.startAgent('kill-a', launch);
    await waitFor('started.json', () => readOptional(join(info.home, 'started.json')));
    expect((await processesOfUid(info.owner.uid)).length).toBeGreaterThan(0);
    const keeperPid = Number(await readFile(join(jailRoot, 'kill-a', 'run', 'keeper.pid'), 'utf8'));
    process.kill(keeperPid, 'SIGKILL');
    await waitForNoProcesses(info.owner.uid);
    expect(await driver.inspect('kill-a')).toMatchObject({ exists: true, agent: 'stopped' });
    // No drain happened: the agent was killed, not stopped.
    expect(await readOptional(join(info.home, 'stopped.json'))).toBeUndefined();

    await writeFile(join(info.home, 'started.json'), '');
    expect(await driver.startAgent('kill-a', launch)).toBe('started');
    const restarted = JSON.parse(
      await waitFor(
        'started.json again',
        async () => (await readOptional(join(info.home, 'started.json'))) || undefined,
      ),
    );
    expect(restarted.uid).toBe(info.owner.uid);
    expect(await driver.destroy('kill-a')).toBe('destroyed');
    expect(await processesOfUid(info.owner.uid)).toEqual([]);
  });
});
