// The demo's stage: a real colibrid on SQLite in a fresh COLIBRI_HOME, a directory of handler
// executables, identity files per agent, and helpers every part uses (the CLI through zx's `$`,
// agents as real `colibri run-agent` processes, waits with `retry`). Parts get this as `hive`.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@colibri/client';
import { $, retry, spinner } from 'zx';

const root = new URL('../..', import.meta.url).pathname;
export const colibriBin = join(root, 'apps/colibri/bin/run.js');
const colibridMain = join(root, 'apps/daemon/dist/main.js');

let stdoutClosed = false;
process.stdout.on('error', (error) => {
  if (error.code !== 'EPIPE') throw error;
  stdoutClosed = true;
});
/** One line of the demo's story on stdout. */
export const say = (line = '') => stdoutClosed || process.stdout.write(`${line}\n`);
/** A section heading. */
export const step = (title) => say(`\n== ${title}`);
/** zx's spinner (on stderr) where a person watches a terminal; nothing extra in logs and pipes. */
export const watch = (title, callback) =>
  process.stderr.isTTY && !process.env.CI ? spinner(title, callback) : callback();

/**
 * Polls `ready` (sync or async; truthy = done) every 25 ms for up to `ms`, through zx's retry:
 * a daemon or agent that never gets there fails the demo naming what it waited for.
 */
export async function waitUntil(what, ready, ms = 30_000) {
  const tries = Math.ceil(ms / 25);
  try {
    return await retry(tries, '25ms', async () => {
      const value = await ready();
      if (!value) throw new Error('not yet');
      return value;
    });
  } catch (error) {
    if (error?.message !== 'not yet') throw error;
    throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
  }
}

/** Starts colibrid and resolves with the hive every part works on. */
export async function startHive() {
  const keep = Boolean(process.env.COLIBRI_HOME);
  const home = process.env.COLIBRI_HOME ?? mkdtempSync(join(tmpdir(), 'colibri-demo-'));
  const work = mkdtempSync(join(tmpdir(), 'colibri-demo-lanes-'));
  const socketPath = join(home, 'colibri.sock');
  const handlersDir = join(work, 'handlers');
  mkdirSync(handlersDir, { recursive: true });
  const baseEnv = { PATH: process.env.PATH, HOME: process.env.HOME ?? work, COLIBRI_HOME: home };

  const daemon = spawn(process.execPath, [colibridMain, '--home', home, '--log-level', 'warn'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const daemonExit = new Promise((resolve) => daemon.once('exit', resolve));
  try {
    await waitUntil(
      'colibrid to create its socket and operator token',
      () => existsSync(socketPath) && existsSync(join(home, 'operator.token')),
      // A failure guard: colibrid starts in well under a second on a quiet machine.
      120_000,
    );
  } catch (error) {
    daemon.kill('SIGTERM');
    await daemonExit;
    rmSync(work, { recursive: true, force: true });
    if (!keep) rmSync(home, { recursive: true, force: true });
    throw error;
  }
  const operatorToken = readFileSync(join(home, 'operator.token'), 'utf8').trim();
  const operator = createClient({ socketPath, token: operatorToken });
  const agents = [];

  const hive = {
    home,
    work,
    socketPath,
    handlersDir,
    operatorToken,
    /** The typed client with the operator token. */
    operator,
    agents,
    /** Set by a part when something is not as the story says: the demo then exits 1. */
    failed: false,

    /** Writes an executable handler: the task payload on stdin, the result on stdout. */
    handler(name, body) {
      writeFileSync(join(handlersDir, name), `#!/bin/sh\nset -eu\n${body}\n`);
      chmodSync(join(handlersDir, name), 0o755);
    },

    /** Writes a skill manifest beside handler `name`: what it needs, and the payload it takes. */
    manifest(name, yaml) {
      writeFileSync(join(handlersDir, `${name}.skill.yaml`), yaml);
    },

    /** Runs the colibri CLI as an operator would (zx quotes every argument); resolves with its --json output. */
    async colibri(args, env = {}) {
      const result = await $({
        env: { ...baseEnv, ...env },
        nothrow: true,
        quiet: true,
      })`${process.execPath} ${colibriBin} ${args} --json`;
      if (result.exitCode !== 0)
        throw new Error(`colibri ${args.join(' ')} failed: ${result.stdout}${result.stderr}`);
      return JSON.parse(result.stdout);
    },

    /** Identity files (image defaults < host < agent) for one agent; returns their directory. */
    identityDir(name, host, agent) {
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
    },

    /** Starts `colibri run-agent` as a real process, collecting its JSON events. */
    startAgent(name, label, dir, env = {}) {
      const child = spawn(
        process.execPath,
        [colibriBin, 'run-agent', '--identity-dir', dir, '--json', '--drain-timeout', '5'],
        { env: { ...baseEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
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
    },

    /** Waits until the agent registered and prints its line. */
    async registered(agent) {
      await watch(`${agent.name} registering`, () =>
        waitUntil(`${agent.name} to register`, () => {
          if (agent.child.exitCode !== null) throw new Error(`${agent.name} exited:\n${agent.stderr}`);
          return agent.id !== null;
        }),
      );
      const event = agent.events.find((e) => e.type === 'registered');
      say(
        `  ${agent.name.padEnd(15)} ${agent.label.padEnd(22)} registered (${event.via}) with ${event.capabilities.join(', ')}`,
      );
    },

    /** The agent's name for an id (the demo prints names, not ids). */
    laneOf: (agentId) => agents.find((agent) => agent.id === agentId)?.name ?? agentId,

    /** Waits until the task is done, failed or cancelled; resolves with it. */
    async finished(taskId) {
      let shown;
      await watch(`task ${taskId.slice(0, 8)} running`, () =>
        waitUntil(
          `task ${taskId} to finish`,
          async () => {
            shown = await operator.showTask(taskId);
            return ['done', 'failed', 'cancelled'].includes(shown.task.status);
          },
          60_000,
        ),
      );
      return shown.task;
    },

    describeResult: (task) =>
      task.status === 'done'
        ? JSON.stringify(task.result)
        : `${task.status}: ${task.failureReason ?? JSON.stringify(task.result)}`,

    /** Kills what is left, stops colibrid, removes the scratch directories (the home unless kept). */
    async close() {
      for (const agent of agents) if (agent.child.exitCode === null) agent.child.kill('SIGKILL');
      daemon.kill('SIGTERM');
      await daemonExit;
      rmSync(work, { recursive: true, force: true });
      if (!keep) rmSync(home, { recursive: true, force: true });
      return { keep, home };
    },
  };
  const status = await operator.status();
  say(`colibrid ${status.version} on ${socketPath} (${status.driver}); lanes and handlers in ${work}`);
  return hive;
}
