#!/usr/bin/env node
// colibri's main job on its embedded default, until the daemon lands: capability routing through
// the real store (SQLite, on disk) and the real scheduler. Tasks go to the best-fitting lane, park
// when nobody qualifies, and unpark the moment a capable agent registers.
//
//   npm run demo                      # SQLite in a fresh temp directory, removed afterwards
//   COLIBRI_HOME=/some/dir npm run demo  # keep the database there to inspect it
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentIndex } from '@colibri/scheduler';
import { openStore } from '@colibri/store';

const keep = Boolean(process.env.COLIBRI_HOME);
const home = process.env.COLIBRI_HOME ?? mkdtempSync(join(tmpdir(), 'colibri-demo-'));
const dbPath = join(home, 'colibri.db');
const store = await openStore({ driver: 'sqlite', path: dbPath });
const index = new AgentIndex();
const names = new Map();
const LEASE_MS = 5 * 60_000;

// `npm run demo | head` closes the pipe early: stop printing, still clean up.
let stdoutClosed = false;
process.stdout.on('error', (error) => {
  if (error.code !== 'EPIPE') throw error;
  stdoutClosed = true;
});
const say = (line = '') => stdoutClosed || process.stdout.write(`${line}\n`);

async function register(name, host, capabilities, tenant = null) {
  const agent = await store.registerAgent({ name, host, capabilities, tenant });
  names.set(agent.id, name);
  index.upsert({ id: agent.id, capabilities: agent.capabilities, status: agent.status, tenant, load: 0 });
  say(`+ agent ${name.padEnd(14)} ${tenant ? `tenant ${tenant}` : 'shared'}  [${capabilities.join(', ')}]`);
  return agent;
}

/** Tries to place one parked task; returns the agent name or null (parked). */
async function dispatch(task) {
  const pick = index.pick({ requiredCapabilities: task.requiredCapabilities, tenant: task.tenant });
  if (!pick) return null;
  await store.assignTask({
    taskId: task.id,
    agentId: pick.id,
    expectedAttempt: task.attempt,
    leaseExpiresAt: new Date(Date.now() + LEASE_MS),
    reason: 'best fit: all required tags, fewest extra tags, least loaded',
  });
  index.setLoad(pick.id, pick.load + 1);
  return names.get(pick.id);
}

async function intake(title, requiredCapabilities, tenant = null) {
  const task = await store.intakeTask({ title, requiredCapabilities, tenant });
  const to = await dispatch(task);
  const needs = requiredCapabilities.length ? requiredCapabilities.join(', ') : 'anything';
  if (to) {
    say(`> task "${title}" (needs ${needs}) -> assigned to ${to}`);
  } else {
    say(`> task "${title}" (needs ${needs}) -> PARKED`);
    const why = index.explainParked({ requiredCapabilities, tenant });
    for (const c of why.candidates) say(`    ${names.get(c.agentId)} lacks ${c.missing.join(', ')}`);
    if (why.unmatchedTags.length) say(`    no online agent offers: ${why.unmatchedTags.join(', ')}`);
  }
  return task;
}

/** Re-examines parked tasks, highest priority first, then oldest: what the daemon will do on every registration. */
async function unpark() {
  for (const task of await store.listTasks({ status: 'parked' })) {
    const to = await dispatch(task);
    if (to) say(`~ parked task "${task.title}" -> assigned to ${to}`);
  }
}

async function finish(task, result) {
  const current = await store.getTask(task.id);
  const agentId = current.assignedAgentId;
  await store.transitionTask({ taskId: task.id, to: 'running', agentId, attempt: current.attempt });
  await store.transitionTask({ taskId: task.id, to: 'done', agentId, attempt: current.attempt, result });
  const entry = index.get(agentId);
  index.setLoad(agentId, entry.load - 1);
  say(`✓ ${names.get(agentId)} finished "${task.title}" -> ${JSON.stringify(result)}`);
}

try {
  say(`colibri demo — SQLite store at ${dbPath}`);
  say();
  say('The seed hive: three hosts advertise what they truly have.');
  const seed = JSON.parse(readFileSync(new URL('../test-fixtures/seed-hosts.json', import.meta.url), 'utf8'));
  for (const host of seed.agents) await register(host.name, host.host, host.capabilities, host.tenant);
  await register('acme-agent', 'osa', ['freebsd', 'shell'], 'acme');
  say();
  say('Tasks declare what they need; the scheduler picks the best-fitting online agent.');
  const render = await intake('render thumbnails', ['image-render']);
  const build = await intake('build container', ['linux', 'docker']);
  const nginx = await intake('reload nginx', ['freebsd', 'nginx']);
  const shell = await intake('acme: rotate logs', ['shell'], 'acme');
  const shot = await intake('tmux screenshot', ['screenshot']);
  say();
  say('A capability that is missing is a routing constraint, not a failure: the operator image joins.');
  await register('operator-image', 'osa-desktop', [
    'freebsd',
    'gui',
    'screenshot',
    'image-render',
    'python3.11',
  ]);
  await unpark();
  say();
  await finish(render, { thumbnails: 12 });
  await finish(build, { image: 'app:1.4.2' });
  await finish(nginx, { reloaded: true });
  await finish(shell, { rotated: 3 });
  await finish(shot, { png: 'tmux-0.png' });
  say();
  say(`Event log of "${shot.title}":`);
  for (const e of await store.listTaskEvents(shot.id)) {
    const who = e.agentId ? ` by ${names.get(e.agentId)}` : '';
    say(
      `  ${e.at.toISOString()}  ${(e.from ?? '∅').padEnd(8)} -> ${e.to.padEnd(8)} attempt ${e.attempt}${who}${e.reason ? `  (${e.reason})` : ''}`,
    );
  }
  const done = await store.listTasks({ status: 'done' });
  say();
  say(`${done.length} tasks done, ${(await store.listTasks({ status: 'parked' })).length} parked.`);
} finally {
  await store.close();
  if (!keep) rmSync(home, { recursive: true, force: true });
}
