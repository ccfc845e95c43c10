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
import { keyringFilter } from '../src/linux/keyring-filter.js';
import { createLinuxDriver } from '../src/linux/linux-driver.js';
import { findSystemCommand } from '../src/linux/linux-driver-options.js';
import { processesOfUid } from '../src/linux/process-table.js';
import { buildSandboxArgv, hostSystemDirs } from '../src/linux/sandbox-argv.js';
import { runCommand } from '../src/run-command.js';
import {
  builtKeeperEntry,
  completeJson,
  installFixtureRuntime,
  installScriptRuntime,
  makeTempBase,
  readOptional,
  waitFor,
  waitForNoProcesses,
} from './linux-test-support.js';

const keyctl = findSystemCommand('keyctl');
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
  options: {
    maxProcesses?: number;
    network?: 'none' | 'host';
    tmpfsSizeBytes?: number;
  } = {},
) {
  const { file, args } = sandboxCommand(info, script, options);
  return runCommand(file, args, { timeoutMs: 60_000, stdin: keyringFilter() });
}

/** The driver's sandbox command for `script` in jail `info`; the keyring filter (unless false) on fd 0. */
function sandboxCommand(
  info: JailInfo,
  script: string,
  options: {
    maxProcesses?: number;
    network?: 'none' | 'host';
    tmpfsSizeBytes?: number;
    keyringFilter?: boolean;
  } = {},
) {
  const filtered = options.keyringFilter !== false;
  return buildSandboxArgv({
    commands,
    uid: info.owner.uid,
    gid: info.owner.gid,
    maxProcesses: options.maxProcesses ?? 64,
    network: options.network ?? 'none',
    tmpfsSizeBytes: options.tmpfsSizeBytes ?? 64 * 1024 * 1024,
    ...(filtered ? { seccompFd: 0 } : {}),
    home: info.home,
    etcDir: join(jailRoot, info.name, 'etc'),
    systemDirs: hostSystemDirs(),
    command: ['/bin/sh', '-c', script],
  });
}

const shellQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/**
 * Runs, as root in a fresh session keyring of its own (keyutils' `keyctl session`), `setup` and
 * then each sandbox in turn, all in that one session — as an operator's shell that adds a key and
 * then spawns jails would. Each sandbox reads the keyring filter from `filterFile` on fd 0.
 */
function inOneSession(
  setup: string,
  filterFile: string,
  sandboxes: ReadonlyArray<{ info: JailInfo; script: string; keyringFilter: boolean }>,
) {
  const lines = [setup];
  for (const sandbox of sandboxes) {
    const { file, args } = sandboxCommand(sandbox.info, sandbox.script, {
      keyringFilter: sandbox.keyringFilter,
    });
    lines.push(`${[file, ...args].map(shellQuote).join(' ')} <${shellQuote(filterFile)}`);
  }
  return runCommand(keyctl, ['session', '-', '/bin/sh', '-c', lines.join('\n')], { timeoutMs: 60_000 });
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

describe('scratch space', () => {
  it('is only the home and the size-capped /tmp and /dev/shm: /, /etc, /run and /dev are read-only', async () => {
    const mib = 1024 * 1024;
    const result = await inJail(
      jailA,
      [
        'for dir in / /etc /run /dev; do mkdir "$dir/scratch-probe" 2>/dev/null && echo "writable: $dir"; done',
        'head -c 2097152 /dev/zero > /tmp/big 2>/dev/null && echo "unbounded: /tmp"; echo "tmp=$(wc -c < /tmp/big)"',
        'head -c 2097152 /dev/zero > /dev/shm/big 2>/dev/null && echo "unbounded: /dev/shm"; echo "shm=$(wc -c < /dev/shm/big)"',
        'rm -f /tmp/big; echo small > /tmp/small && echo tmp-usable',
        'echo x > /dev/null && echo devnull-usable',
      ].join('\n'),
      { tmpfsSizeBytes: mib },
    );
    expect(result.stdout).not.toMatch(/writable: |unbounded: /);
    const tmp = Number(/^tmp=(\d+)$/m.exec(result.stdout)?.[1]);
    const shm = Number(/^shm=(\d+)$/m.exec(result.stdout)?.[1]);
    expect(tmp).toBeGreaterThan(0);
    expect(tmp).toBeLessThanOrEqual(mib);
    expect(shm).toBeGreaterThan(0);
    expect(shm).toBeLessThanOrEqual(mib);
    expect(result.stdout).toContain('tmp-usable');
    expect(result.stdout).toContain('devnull-usable');
  });
});

describe('the kernel keyrings', () => {
  let filterFile: string;
  beforeAll(async () => {
    filterFile = join(base, 'keyring-filter.bpf');
    await writeFile(filterFile, keyringFilter(), { mode: 0o600 });
  });
  const readOperatorKey =
    'id=$(keyctl request user colibri-operator-key 2>&1) && keyctl pipe "$id" 2>&1; echo; keyctl show @s 2>&1; echo read-done';

  it("keeps the operator's session key out of the jail (without the filter it leaks: the control)", async () => {
    const setup = 'keyctl add user colibri-operator-key operator-secret-81c2 @s >/dev/null';
    const leaky = await inOneSession(setup, filterFile, [
      { info: jailA, script: readOperatorKey, keyringFilter: false },
    ]);
    expect(leaky.stdout).toContain('operator-secret-81c2');
    const filtered = await inOneSession(setup, filterFile, [
      { info: jailA, script: readOperatorKey, keyringFilter: true },
    ]);
    expect(filtered.stdout).toContain('read-done');
    expect(filtered.stdout).not.toContain('operator-secret-81c2');
    expect(filtered.stdout).toMatch(/Operation not permitted/);
  });

  it("keeps one jail's planted key from another jail spawned from the same session (control: it leaks)", async () => {
    const plant =
      'keyctl add user planted planted-by-a-5d1e @s 2>&1; keyctl add user planted planted-by-a-5d1e @u 2>&1; echo plant-done';
    const read =
      'for ring in @s @u; do id=$(keyctl search "$ring" user planted 2>/dev/null) && keyctl pipe "$id"; done; ' +
      'id=$(keyctl request user planted 2>/dev/null) && keyctl pipe "$id"; echo; keyctl show @s 2>&1; echo read-done';
    const leaky = await inOneSession('true', filterFile, [
      { info: jailA, script: plant, keyringFilter: false },
      { info: jailB, script: read, keyringFilter: false },
    ]);
    expect(leaky.stdout).toContain('planted-by-a-5d1e');
    const filtered = await inOneSession('true', filterFile, [
      { info: jailA, script: plant, keyringFilter: true },
      { info: jailB, script: read, keyringFilter: true },
    ]);
    expect(filtered.stdout).toContain('plant-done');
    expect(filtered.stdout).toContain('read-done');
    expect(filtered.stdout).toMatch(/add_key: Operation not permitted/);
    expect(filtered.stdout).not.toContain('planted-by-a-5d1e');
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
    const reply = await waitFor(
      'reply.json',
      completeJson(() => readOptional(join(a.home, 'reply.json'))),
    );
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
      const reply = await waitFor(
        'reply.json',
        completeJson(() => readOptional(join(info.home, 'reply.json'))),
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
