/**
 * What the spawning process holds must not reach the jail's agent (issue 12, items 1 and 2): its
 * open file descriptors (a root-only file on fd 30, as an operator's `exec 30<other-tenant.env`,
 * and a pipe's write end) and its session keyring (a key the operator added). The agent is started
 * by the BUILT driver from a child process that really holds both, through the real keeper and
 * bwrap; the agent's stand-in runtime reports what it can see from inside, and the host's /proc
 * shows what every process of the jail (and the keeper) holds.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readdir, readFile, readlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JailDriver, JailInfo } from '../src/jail-driver.js';
import { createLinuxDriver } from '../src/linux/linux-driver.js';
import { findSystemCommand } from '../src/linux/linux-driver-options.js';
import { processesOfUid } from '../src/linux/process-table.js';
import {
  builtKeeperEntry,
  completeJson,
  installScriptRuntime,
  makeTempBase,
  readOptional,
  waitFor,
} from './linux-test-support.js';

const here = dirname(fileURLToPath(import.meta.url));
const HELPER = join(here, 'fixtures', 'start-agent-from-child.mjs');
const OPERATOR_SECRET = 'other-tenant-secret-4b7f';
const KEY_SECRET = 'operator-key-secret-93ad';

// The agent's stand-in: reports its descriptors, a child shell's, and what the keyring syscalls do.
const reportScript = `import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readlinkSync, readFileSync, writeFileSync } from 'node:fs';
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
if (process.argv[2] === '--version') { console.log('colibri/' + version + ' linux-x64'); process.exit(0); }
const links = (dir) => Object.fromEntries(readdirSync(dir).flatMap((fd) => { try { return [[fd, readlinkSync(dir + '/' + fd)]]; } catch { return []; } }));
const run = (file, args) => { const r = spawnSync(file, args, { encoding: 'utf8' }); return (r.stdout + r.stderr).trim(); };
const report = {
  agentFds: links('/proc/self/fd'),
  shellFds: run('/bin/bash', ['-c', 'ls /proc/$$/fd | tr "\\\\n" " "; cat <&30 2>&1; cat <&31 2>&1; echo shell-done']),
  requestKey: run('/usr/bin/keyctl', ['request', 'user', 'colibri-operator-key']),
  showSession: run('/usr/bin/keyctl', ['show', '@s']),
  addKey: run('/usr/bin/keyctl', ['add', 'user', 'planted', 'x', '@s']),
};
try { report.pipe = execFileSync('/usr/bin/keyctl', ['pipe', report.requestKey], { encoding: 'utf8' }); } catch (e) { report.pipe = String(e.stderr); }
writeFileSync(process.env.HOME + '/inherited.json', JSON.stringify(report));
setInterval(() => {}, 1 << 30);
process.on('SIGTERM', () => process.exit(0));
`;

let base: string;
let cleanup: () => Promise<void>;
let driver: JailDriver;
let info: JailInfo;
let options: Record<string, unknown>;

beforeAll(async () => {
  ({ base, cleanup } = await makeTempBase('colibri-linux-inherit-'));
  options = {
    jailRoot: join(base, 'jails'),
    uidClaimDir: join(base, 'uid-claims'),
    keeperEntry: await builtKeeperEntry(),
    uidRange: { first: 474_000, last: 474_999 },
  };
  driver = createLinuxDriver(options as unknown as Parameters<typeof createLinuxDriver>[0]);
  info = await driver.create({ name: 'inherit-a', agentName: 'inherit-a', tenant: 'inherit-a' });
  await driver.bootstrap('inherit-a', await installScriptRuntime(join(base, 'runtime'), reportScript));
});

afterAll(async () => {
  await driver?.destroy('inherit-a').catch(() => undefined);
  await cleanup?.();
});

/** Every descriptor target of every process of `uid`, plus the keeper's. */
async function hostSideTargets(uid: number, keeperPid: number): Promise<string[]> {
  const targets: string[] = [];
  for (const pid of [...(await processesOfUid(uid)), keeperPid]) {
    for (const fd of await readdir(`/proc/${pid}/fd`).catch(() => [])) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => undefined);
      if (target !== undefined) targets.push(target);
    }
  }
  return targets;
}

describe('what the spawning process holds', () => {
  it('neither its open descriptors (a root-only file on fd 30, a pipe end) nor its session key reach the agent', async () => {
    const secretFile = join(base, 'other-tenant.env');
    await writeFile(secretFile, `SECRET='${OPERATOR_SECRET}'\n`, { mode: 0o600 });
    const secretFd = openSync(secretFile, 'r');
    const child = spawn(
      findSystemCommand('keyctl'),
      [
        'session',
        '-',
        '/bin/bash',
        '-c',
        // fd 31: the write end of a pipe to a `cat` that outlives the start.
        `keyctl add user colibri-operator-key ${KEY_SECRET} @s >/dev/null && exec 9>&1 && { "$0" "$@" 31>&1 1>&9 9>&-; } | cat >/dev/null`,
        process.execPath,
        HELPER,
        JSON.stringify({
          ...options,
          jail: 'inherit-a',
          launch: {
            agentName: 'inherit-a',
            tenant: 'inherit-a',
            capabilities: null,
            daemon: { socketPath: join(base, 'no-daemon.sock') },
          },
        }),
      ],
      // fd 30: the root-only file.
      { stdio: ['ignore', 'pipe', 'pipe', ...Array(27).fill('ignore'), secretFd] },
    );
    closeSync(secretFd);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    // Not the exit: without the fix, the leaked pipe end keeps the pipeline (and so bash) alive.
    await new Promise<void>((resolve) => {
      child.stdout?.on('data', () => {
        if (stdout.split('\n').length > 2) resolve();
      });
      child.on('exit', () => resolve());
    });
    const [first, second] = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    // The injection worked: the starting process really held both.
    expect(first.fds['30']).toBe(secretFile);
    const pipe = first.fds['31'] as string;
    expect(pipe).toMatch(/^pipe:\[\d+\]$/);
    expect(second, stdout + stderr).toEqual({ started: 'started' });

    const report = await waitFor(
      'inherited.json',
      completeJson(() => readOptional(join(info.home, 'inherited.json'))),
    );
    // Inside: the agent holds only what it opened itself; a handler's shell has nothing on 30/31.
    expect(Object.values(report.agentFds)).not.toContain(secretFile);
    expect(Object.values(report.agentFds)).not.toContain(pipe);
    expect(report.shellFds).toContain('shell-done');
    expect(report.shellFds).not.toContain(OPERATOR_SECRET);
    expect(report.shellFds).toMatch(/30: Bad file descriptor/);
    expect(report.shellFds).toMatch(/31: Bad file descriptor/);
    // The operator's key is out of reach, and nothing can be planted.
    expect(report.requestKey).toMatch(/Operation not permitted/);
    expect(report.addKey).toMatch(/Operation not permitted/);
    expect(`${report.pipe}${report.showSession}`).not.toContain(KEY_SECRET);
    // On the host: neither the keeper nor any process of the jail uid holds them.
    const keeperPid = Number(await readFile(join(base, 'jails', 'inherit-a', 'run', 'keeper.pid'), 'utf8'));
    const targets = await hostSideTargets(info.owner.uid, keeperPid);
    expect(targets.length).toBeGreaterThan(0);
    expect(targets).not.toContain(secretFile);
    expect(targets).not.toContain(pipe);
  });
});
