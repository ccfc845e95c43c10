#!/usr/bin/env node
// colibri's main job on its embedded default, on one machine: a real `colibrid` on SQLite and real
// `colibri run-agent` processes shaped like the seed's hosts (FreeBSD server lane, Linux media lane,
// Linux docker lane). Tasks are routed to the right lane and run by handler executables; a task
// nobody can serve parks with the reason and is picked up when a fourth agent with the missing tag
// joins; a tenant is registered, its .env provisioned (directory secret source, 0600) with a
// one-time join token, and its agent borrows the media lane's `image-render` through a sub-task.
//
//   npm run demo                          # fresh temp home, removed afterwards
//   COLIBRI_HOME=/some/dir npm run demo   # keep the home (database, socket, operator token)
import { execFile, spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@colibri/client';
import { isProbeVocabularyTag } from '@colibri/mother';
import { mcpDemo } from './demo-mcp.mjs';

const root = new URL('..', import.meta.url).pathname;
const colibriBin = join(root, 'apps/colibri/bin/run.js');
const keep = Boolean(process.env.COLIBRI_HOME);
const home = process.env.COLIBRI_HOME ?? mkdtempSync(join(tmpdir(), 'colibri-demo-'));
const work = mkdtempSync(join(tmpdir(), 'colibri-demo-lanes-'));
const socketPath = join(home, 'colibri.sock');

let stdoutClosed = false;
process.stdout.on('error', (error) => {
  if (error.code !== 'EPIPE') throw error;
  stdoutClosed = true;
});
const say = (line = '') => stdoutClosed || process.stdout.write(`${line}\n`);
const step = (title) => say(`\n== ${title}`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntil(what, ready, ms = 30_000) {
  const until = Date.now() + ms;
  while (!(await ready())) {
    if (Date.now() > until) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
    await sleep(25);
  }
}

/** Runs the colibri CLI as an operator would; resolves with parsed --json output. */
function colibri(args, env = {}) {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [colibriBin, ...args, '--json'],
      {
        env: { PATH: process.env.PATH, HOME: process.env.HOME ?? work, COLIBRI_HOME: home, ...env },
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`colibri ${args.join(' ')} failed: ${stdout}${stderr}`));
        else resolve(JSON.parse(stdout));
      },
    );
  });
}

// --- handlers: small executables, the task payload on stdin, the result on stdout -------------
const handlersDir = join(work, 'handlers');
mkdirSync(handlersDir, { recursive: true });
const handler = (name, body) => {
  writeFileSync(join(handlersDir, name), `#!/bin/sh\nset -eu\n${body}\n`);
  chmodSync(join(handlersDir, name), 0o755);
};
handler('nginx-check', `cat >/dev/null\nprintf '{"config":"ok","checkedBy":"%s"}\\n' "$COLIBRI_AGENT_ID"`);
handler('docker-build', `cat >/dev/null\nprintf '{"image":"hive/demo:1","layers":3}\\n'`);
// "Rendering": a real digest of the text, so the result depends on the input.
handler(
  'render',
  `text=$(sed -n 's/.*"text":"\\([^"]*\\)".*/\\1/p')\nsum=$(printf '%s' "$text" | cksum | cut -d' ' -f1)\nprintf '{"rendered":"%s.png","checksum":%s}\\n' "$text" "$sum"`,
);
handler('screenshot', `cat >/dev/null\nprintf '{"screenshot":"desktop-1.png","display":"simulated"}\\n'`);
// The tenant's report needs an image: it borrows the media lane through a sub-task of its own tenant.
handler(
  'report',
  `cat >/dev/null\nsub=$("${process.execPath}" "${colibriBin}" intake-task --title "chart for the report" --tenant "$COLIBRI_TENANT" --capabilities image-render --payload '{"handler":"render","text":"quarterly-chart"}' --wait --wait-timeout 60 --json)\nprintf '{"report":"done","borrowed":%s}\\n' "$sub"`,
);

// --- lanes: identity files (image defaults < host < agent) per agent --------------------------
const lanes = [
  {
    name: 'hermes-osa',
    lane: 'FreeBSD server lane',
    capabilities: ['freebsd', 'shell', 'rc.d', 'pf', 'nginx', 'acme', 'hermes'],
  },
  {
    name: 'domedog',
    lane: 'Linux media lane',
    capabilities: ['linux', 'python3.12', 'ffmpeg', 'image-render'],
  },
  { name: 'hermes-debby', lane: 'Linux docker lane', capabilities: ['linux', 'docker', 'shell', 'hermes'] },
];
// This one machine plays every host: tags it cannot confirm by probing (freebsd, docker, …) are
// forced in the host layer, which is exactly what the forceCapabilities field is for.
const forced = (tags) => tags.filter(isProbeVocabularyTag);

function identityDir(name, host, agent) {
  const dir = join(work, 'identity', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'image.json'),
    JSON.stringify({ handlersDir, daemon: { socketPath }, heartbeatSeconds: 5, envFile: null }),
  );
  writeFileSync(join(dir, 'host.json'), JSON.stringify(host));
  writeFileSync(
    join(dir, 'agent.json'),
    JSON.stringify({ name, stateDir: join(work, 'state', name), ...agent }),
  );
  return dir;
}

const agents = [];
function startAgent(name, label, dir, env = {}) {
  const child = spawn(
    process.execPath,
    [colibriBin, 'run-agent', '--identity-dir', dir, '--json', '--drain-timeout', '5'],
    {
      env: { PATH: process.env.PATH, HOME: process.env.HOME ?? work, COLIBRI_HOME: home, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const agent = { name, label, child, events: [], stderr: '', id: null };
  let buffer = '';
  child.stdout.on('data', (chunk) => {
    buffer += chunk.toString();
    for (let end = buffer.indexOf('\n'); end >= 0; end = buffer.indexOf('\n')) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 1);
      try {
        const event = JSON.parse(line);
        agent.events.push(event);
        if (event.type === 'registered') agent.id = event.agentId;
      } catch {
        agent.stderr += `${line}\n`;
      }
    }
  });
  child.stderr.on('data', (chunk) => {
    agent.stderr += chunk.toString();
  });
  agent.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  agents.push(agent);
  return agent;
}

async function registered(agent) {
  await waitUntil(`${agent.name} to register`, () => {
    if (agent.child.exitCode !== null) throw new Error(`${agent.name} exited:\n${agent.stderr}`);
    return agent.id !== null;
  });
  const event = agent.events.find((e) => e.type === 'registered');
  say(
    `  ${agent.name.padEnd(15)} ${agent.label.padEnd(22)} registered (${event.via}) with ${event.capabilities.join(', ')}`,
  );
}

const laneOf = (agentId) => agents.find((agent) => agent.id === agentId)?.name ?? agentId;

const daemon = spawn(
  process.execPath,
  [join(root, 'apps/daemon/dist/main.js'), '--home', home, '--log-level', 'warn'],
  {
    stdio: ['ignore', 'ignore', 'inherit'],
  },
);
const daemonExit = new Promise((resolve) => daemon.once('exit', resolve));

let failed = false;
try {
  await waitUntil(
    'colibrid to create its socket and operator token',
    () => existsSync(socketPath) && existsSync(join(home, 'operator.token')),
  );
  const operatorToken = readFileSync(join(home, 'operator.token'), 'utf8').trim();
  const operator = createClient({ socketPath, token: operatorToken });
  const status = await operator.status();
  say(`colibrid ${status.version} on ${socketPath} (${status.driver}); lanes and handlers in ${work}`);

  step("three lanes shaped like the seed's hosts start `colibri run-agent`");
  for (const lane of lanes) {
    const dir = identityDir(
      lane.name,
      { capabilities: lane.capabilities, forceCapabilities: forced(lane.capabilities) },
      {},
    );
    startAgent(lane.name, lane.lane, dir, { COLIBRI_TOKEN: operatorToken });
  }
  for (const agent of agents) await registered(agent);

  async function finished(taskId) {
    let shown;
    await waitUntil(
      `task ${taskId} to finish`,
      async () => {
        shown = await operator.showTask(taskId);
        return ['done', 'failed', 'cancelled'].includes(shown.task.status);
      },
      60_000,
    );
    return shown.task;
  }
  const describeResult = (task) =>
    task.status === 'done'
      ? JSON.stringify(task.result)
      : `${task.status}: ${task.failureReason ?? JSON.stringify(task.result)}`;

  step('tasks are routed by capability and run by handlers');
  const routed = [
    {
      title: 'check the nginx config',
      requiredCapabilities: ['freebsd', 'nginx'],
      payload: { handler: 'nginx-check' },
    },
    {
      title: 'render the hive logo',
      requiredCapabilities: ['image-render'],
      payload: { handler: 'render', text: 'hive-logo' },
    },
    {
      title: 'build the demo image',
      requiredCapabilities: ['linux', 'docker'],
      payload: { handler: 'docker-build' },
    },
  ];
  for (const spec of routed) {
    const { task } = await operator.intakeTask(spec);
    const done = await finished(task.id);
    say(
      `  "${spec.title}" needs ${spec.requiredCapabilities.join('+')} -> ${laneOf(done.assignedAgentId)}: ${describeResult(done)}`,
    );
  }

  step("an LLM agent's MCP client starts `colibri mcp` and hands the media lane a task");
  if (!(await mcpDemo({ colibriBin, home, say, laneOf }))) failed = true;

  step('a task nobody can serve yet parks, with the reason');
  const { task: shot } = await operator.intakeTask({
    title: 'screenshot the dashboard',
    requiredCapabilities: ['screenshot'],
    payload: { handler: 'screenshot' },
  });
  const { parked } = await operator.showTask(shot.id);
  const closest = parked?.candidates
    .slice(0, 3)
    .map((candidate) => `${candidate.agentName} lacks ${candidate.missing.join(', ')}`)
    .join('; ');
  say(`  "screenshot the dashboard" is ${shot.status}: ${closest ?? 'no agent online'}`);

  step('a fourth agent with a display joins: the parked task is picked up at once');
  const operatorImage = startAgent(
    'operator-image',
    'FreeBSD operator image',
    identityDir(
      'operator-image',
      {
        capabilities: ['freebsd', 'gui', 'screenshot', 'image-render', 'python3.11', 'xfce'],
        forceCapabilities: ['freebsd', 'gui', 'screenshot', 'image-render', 'python3.11'],
      },
      {},
    ),
    { COLIBRI_TOKEN: operatorToken },
  );
  await registered(operatorImage);
  const shotDone = await finished(shot.id);
  say(`  "screenshot the dashboard" -> ${laneOf(shotDone.assignedAgentId)}: ${describeResult(shotDone)}`);

  step('join the hive: a tenant, its .env (0600, with a one-time join token), its agent');
  const tenant = 'acme';
  const registeredTenant = await colibri(['register-tenant', tenant]);
  say(
    `  colibri register-tenant ${tenant}: ${registeredTenant.tenant.status}, jail ${registeredTenant.tenant.jail}, collection ${registeredTenant.tenant.collection}`,
  );
  const joinToken = await colibri(['join-token', '--tenant', tenant, '--ttl', '600']);
  const secretsDir = join(work, 'secrets');
  mkdirSync(secretsDir, { recursive: true, mode: 0o700 });
  writeFileSync(
    join(secretsDir, `${tenant}.env`),
    `ACME_API_KEY='demo-not-a-secret'\nCOLIBRI_JOIN_TOKEN='${joinToken.token}'\n`,
    { mode: 0o600 },
  );
  const jailRoot = join(work, 'jails');
  const jailHome = join(jailRoot, tenant, 'home', 'agent');
  mkdirSync(jailHome, { recursive: true, mode: 0o700 });
  const uid = process.getuid();
  const gid = process.getgid();
  const provisioned = await colibri([
    'provision-tenant',
    tenant,
    '--source',
    'directory',
    '--secrets-dir',
    secretsDir,
    '--jail-root',
    jailRoot,
    '--owner',
    `${uid}:${gid}`,
  ]);
  const envFile = join(jailHome, '.env');
  const mode = (statSync(envFile).mode & 0o777).toString(8);
  const outcome = Array.isArray(provisioned)
    ? provisioned[0]?.outcome
    : (provisioned.results?.[0]?.outcome ?? JSON.stringify(provisioned));
  say(`  colibri provision-tenant ${tenant} --source directory: ${outcome}, ${envFile} mode 0${mode}`);
  const tenantAgent = startAgent(
    'acme-agent',
    `tenant ${tenant}`,
    identityDir(
      'acme-agent',
      { capabilities: ['linux', 'report'], forceCapabilities: ['linux'] },
      { tenant, envFile },
    ),
  );
  await registered(tenantAgent);

  step('the tenant agent borrows the media lane: its handler intakes an image-render sub-task and waits');
  const { task: report } = await operator.intakeTask({
    title: 'quarterly report',
    tenant,
    requiredCapabilities: ['report'],
    payload: { handler: 'report' },
  });
  const reportDone = await finished(report.id);
  const borrowed = reportDone.result?.borrowed?.task;
  say(
    `  "quarterly report" (tenant ${tenant}) -> ${laneOf(reportDone.assignedAgentId)}: ${reportDone.status}`,
  );
  if (borrowed) {
    say(
      `    its sub-task "${borrowed.title}" (tenant ${borrowed.tenant}, needs image-render) -> ${laneOf(borrowed.assignedAgentId)}: ${JSON.stringify(borrowed.result)}`,
    );
  } else {
    say(`    result: ${JSON.stringify(reportDone.result)}`);
    failed = true;
  }

  step('every task, from the store');
  const { tasks } = await operator.listTasks({ limit: 50 });
  for (const task of tasks) {
    say(
      `  ${task.status.padEnd(9)} ${task.title.padEnd(28)} ${(task.tenant ?? 'shared').padEnd(7)} -> ${laneOf(task.assignedAgentId)} (attempt ${task.attempt})`,
    );
    if (task.status !== 'done') failed = true;
  }

  step('SIGTERM: every agent drains and goes offline');
  for (const agent of agents) agent.child.kill('SIGTERM');
  for (const agent of agents) {
    const code = await agent.exited;
    say(`  ${agent.name.padEnd(15)} exited ${code}`);
    if (code !== 0) {
      failed = true;
      process.stderr.write(agent.stderr);
    }
  }
  const { agents: fleet } = await operator.listAgents();
  say(`  agents offline: ${fleet.filter((a) => a.status === 'offline').length} of ${fleet.length}`);
} catch (error) {
  failed = true;
  process.stderr.write(`demo failed: ${error.stack ?? error}\n`);
  for (const agent of agents) if (agent.stderr) process.stderr.write(`--- ${agent.name}\n${agent.stderr}`);
} finally {
  for (const agent of agents) if (agent.child.exitCode === null) agent.child.kill('SIGKILL');
  daemon.kill('SIGTERM');
  await daemonExit;
  rmSync(work, { recursive: true, force: true });
  if (!keep) rmSync(home, { recursive: true, force: true });
  say(
    failed
      ? '\ndemo: something went wrong (see above)'
      : `\ndemo: done${keep ? `; home kept at ${home}` : ''}`,
  );
}
process.exitCode = failed ? 1 : 0;
