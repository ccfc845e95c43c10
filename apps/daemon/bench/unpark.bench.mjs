// Unpark probe: seeds N parked tasks needing 'wide' into a fresh SQLite home (one transaction per
// 10,000), starts colibrid on it (its start-up sweep indexes them), then registers one agent with
// 'wide' and times the registration, which assigns all N. Usage: node bench/unpark.bench.mjs [N]
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@colibri/client';
import { openStore } from '@colibri/store';

const N = Number(process.argv[2] ?? 10000);
const home = mkdtempSync(join(tmpdir(), 'probe-'));
let t = performance.now();
const store = await openStore({ driver: 'sqlite', path: join(home, 'colibri.db') });
for (let from = 0; from < N; from += 10000) {
  const batch = [];
  for (let i = from; i < Math.min(N, from + 10000); i++)
    batch.push({
      title: `w${i}`,
      requiredCapabilities: ['wide'],
      priority: i % 2,
      at: new Date(Date.now() - 3600000 + i),
    });
  await store.intakeTasks(batch);
}
console.log('seed', (performance.now() - t).toFixed(0));
t = performance.now();
const child = spawn(
  process.execPath,
  [
    ...(process.env.PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/eng/dprof'] : []),
    new URL('../dist/main.js', import.meta.url).pathname,
    '--home',
    home,
    '--log-level',
    'warn',
  ],
  { stdio: 'inherit' },
);
const socketPath = join(home, 'colibri.sock');
let op;
for (;;) {
  if (existsSync(join(home, 'operator.token')) && existsSync(socketPath)) {
    op = createClient({
      socketPath,
      token: readFileSync(join(home, 'operator.token'), 'utf8').trim(),
      timeoutMs: 600000,
    });
    try {
      await op.status();
      break;
    } catch {}
  }
  await new Promise((r) => setTimeout(r, 20));
}
console.log('start', (performance.now() - t).toFixed(0));
t = performance.now();
await op.registerAgent({ name: 'wide', capabilities: ['wide'] });
console.log('register+unpark', (performance.now() - t).toFixed(0), await store.countTasksByStatus());
child.kill(process.env.PROF ? 'SIGINT' : 'SIGKILL');
await new Promise((r) => child.on('exit', r));
await store.close();
