#!/usr/bin/env node
// colibri's main job on its embedded default: a real `colibrid` on SQLite in a fresh COLIBRI_HOME,
// driven over its Unix socket. Agents register with their capability tags, tasks are routed to
// the best-fitting lane, a task nobody can serve parks (with the reason), and unparks the moment a
// capable agent registers — without anybody polling. Agents then poll, run and finish their work.
//
//   npm run demo                          # fresh temp home, removed afterwards
//   COLIBRI_HOME=/some/dir npm run demo   # keep the home (database, socket, operator token)
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@colibri/client';

const root = new URL('..', import.meta.url).pathname;
const keep = Boolean(process.env.COLIBRI_HOME);
const home = process.env.COLIBRI_HOME ?? mkdtempSync(join(tmpdir(), 'colibri-demo-'));

let stdoutClosed = false;
process.stdout.on('error', (error) => {
  if (error.code !== 'EPIPE') throw error;
  stdoutClosed = true;
});
const say = (line = '') => stdoutClosed || process.stdout.write(`${line}\n`);

async function waitFor(path, what, ms = 20_000) {
  const until = Date.now() + ms;
  while (!existsSync(path)) {
    if (Date.now() > until)
      throw new Error(`colibrid did not create ${what} (${path}) within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const daemon = spawn(
  process.execPath,
  [join(root, 'apps/daemon/dist/main.js'), '--home', home, '--log-level', 'warn'],
  {
    stdio: ['ignore', 'ignore', 'inherit'],
  },
);
const daemonExit = new Promise((resolve) => daemon.once('exit', resolve));

try {
  const socketPath = join(home, 'colibri.sock');
  await waitFor(socketPath, 'its socket');
  await waitFor(join(home, 'operator.token'), 'the operator token');
  const operator = createClient({
    socketPath,
    token: readFileSync(join(home, 'operator.token'), 'utf8').trim(),
  });
  const status = await operator.status();
  say(`colibrid ${status.version} on ${socketPath} (${status.driver})`);
  say();

  const agents = new Map();
  async function register(name, host, capabilities, tenant = null) {
    const { agent, token } = await operator.registerAgent({ name, host, capabilities, tenant });
    agents.set(agent.id, { name, client: createClient({ socketPath, token }) });
    say(
      `+ agent ${name.padEnd(14)} ${tenant ? `tenant ${tenant}` : 'shared     '}  [${capabilities.join(', ')}]`,
    );
    return agent;
  }
  const nameOf = (id) => agents.get(id)?.name ?? id;

  async function intake(title, requiredCapabilities, tenant = null) {
    const { task, assignedTo, warnings } = await operator.intakeTask({ title, requiredCapabilities, tenant });
    const needs = requiredCapabilities.length ? requiredCapabilities.join(', ') : 'anything';
    say(`> "${title}" needs ${needs} -> ${assignedTo ? `assigned to ${assignedTo.name}` : 'PARKED'}`);
    for (const warning of warnings) say(`    warning: ${warning}`);
    if (!assignedTo) {
      const { parked } = await operator.showTask(task.id);
      for (const c of parked?.candidates ?? []) say(`    ${c.agentName} lacks ${c.missing.join(', ')}`);
    }
    return task;
  }

  say('The seed hive: three hosts and a tenant agent advertise what they truly have.');
  const seed = JSON.parse(readFileSync(join(root, 'test-fixtures/seed-hosts.json'), 'utf8'));
  for (const host of seed.agents) await register(host.name, host.host, host.capabilities, host.tenant);
  await register('acme-agent', 'osa', ['freebsd', 'shell'], 'acme');
  say();
  say('Tasks declare what they need; the daemon routes each to the best-fitting online agent.');
  await intake('render thumbnails', ['image-render']);
  await intake('build container', ['linux', 'docker']);
  await intake('reload nginx', ['freebsd', 'nginx']);
  await intake('acme: rotate logs', ['shell'], 'acme');
  const shot = await intake('tmux screenshot', ['screenshot']);
  say();
  say('A missing capability is a routing constraint, not a failure: the operator image joins.');
  await register('operator-image', 'osa-desktop', [
    'freebsd',
    'gui',
    'screenshot',
    'image-render',
    'python3.11',
  ]);
  const { task: unparked } = await operator.showTask(shot.id);
  say(
    `~ "${unparked.title}" is now ${unparked.status} to ${nameOf(unparked.assignedAgentId)} (no poll needed)`,
  );
  say();
  say('Each agent polls, runs its task and reports the result with its attempt token.');
  for (const [id, { name, client }] of agents) {
    const { tasks } = await client.poll(id, { waitSeconds: 1 });
    for (const task of tasks) {
      await client.transitionTask(task.id, { to: 'running', attempt: task.attempt });
      await client.transitionTask(task.id, { to: 'done', attempt: task.attempt, result: { by: name } });
      say(`✓ ${name} finished "${task.title}"`);
    }
  }
  say();
  const { events } = await operator.showTask(shot.id);
  say(`Event log of "${shot.title}":`);
  for (const e of events) {
    const who = e.agentId ? ` by ${nameOf(e.agentId)}` : '';
    say(
      `  ${e.at}  ${(e.from ?? '∅').padEnd(8)} -> ${e.to.padEnd(8)} attempt ${e.attempt}${who}${e.reason ? `  (${e.reason})` : ''}`,
    );
  }
  const final = await operator.status();
  say();
  say(
    `tasks: ${Object.entries(final.tasks)
      .filter(([, n]) => n > 0)
      .map(([s, n]) => `${n} ${s}`)
      .join(', ')}`,
  );
  if (keep) say(`Kept ${home}: try  colibri list-tasks --home ${home}`);
} finally {
  daemon.kill('SIGTERM');
  await daemonExit;
  if (!keep) rmSync(home, { recursive: true, force: true });
}
