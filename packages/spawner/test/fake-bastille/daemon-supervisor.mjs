// The fake daemon(8) supervisor: started detached by `jexec … /usr/sbin/daemon …`. Runs the
// command as the jail user, writes the child pid to the pidfile (inside the jail), registers the
// process with the fake kernel state, forwards termination signals, and on the child's exit
// removes the pidfile and exits — the pidfile counts as "locked" only while this process lives.
import {
  chownSync,
  closeSync,
  existsSync,
  fchownSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { loadContext, processDir } from './lib/context.mjs';
import { toHost } from './lib/jail-fs.mjs';
import { spawnAs } from './lib/jail-tools.mjs';

const ctx = loadContext();
const spec = JSON.parse(process.env.FAKE_DAEMON_SPEC ?? '{}');
const { jail, user } = spec;

let output = 'ignore';
if (spec.output) {
  const host = toHost(ctx, jail, spec.output);
  const existed = existsSync(host);
  output = openSync(host, 'a', 0o600);
  if (!existed) fchownSync(output, user.uid, user.gid);
}

const child = spawnAs(ctx, user, spec.command, spec.args, {
  env: spec.env,
  cwd: spec.cwd,
  stdio: ['ignore', output, output],
});
if (typeof output === 'number') closeSync(output);

const registry = processDir(ctx, jail);
let pidfileHost = null;

child.on('error', (error) => {
  if (spec.output) {
    writeFileSync(toHost(ctx, jail, spec.output), `daemon: execv(${spec.command}): ${error.message}\n`, {
      flag: 'a',
    });
  }
  process.exit(1);
});

child.on('spawn', () => {
  mkdirSync(registry, { recursive: true });
  writeFileSync(
    join(registry, `${child.pid}.json`),
    JSON.stringify({
      pid: child.pid,
      uid: user.uid,
      gid: user.gid,
      supervisor: process.pid,
      pidfile: spec.pidfile,
      argv: [spec.command, ...spec.args],
    }),
  );
  if (spec.pidfile) {
    pidfileHost = toHost(ctx, jail, spec.pidfile);
    writeFileSync(pidfileHost, `${child.pid}\n`, { mode: 0o600 });
    chownSync(pidfileHost, user.uid, user.gid);
  }
});

for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT']) {
  process.on(signal, () => child.kill(signal));
}

child.on('exit', () => {
  if (pidfileHost !== null) {
    try {
      if (readFileSync(pidfileHost, 'utf8').trim() === String(child.pid))
        rmSync(pidfileHost, { force: true });
    } catch {
      // already gone
    }
  }
  rmSync(join(registry, `${child.pid}.json`), { force: true });
  process.exit(0);
});
