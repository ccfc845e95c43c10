// `colibri run-agent` as real processes against a real colibrid: a SIGTERM drain, and a lean tenant
// agent borrowing the media lane's image-render through `colibri intake-task --wait` in its handler.
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ShowTaskResponse } from '@colibri/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type AgentHome,
  type AgentProcess,
  createAgentHome,
  startAgentProcess,
} from './testing/agent-process.test-helper.js';
import {
  COLIBRI_BIN,
  cleanEnv,
  type Hive,
  RUN_AGENT_BUNDLE,
  runColibri,
  startHive,
} from './testing/colibri-process.test-helper.js';

/** Polls the daemon until `check` returns a value (a failure guard bounds it, not an assertion on time). */
async function eventually<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  const until = Date.now() + 30_000;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Only what the agent needs: no /usr/local/bin, so the capability probe stays quick and predictable. */
const agentEnv = (hive: Hive, home: AgentHome, extra: Record<string, string> = {}) =>
  cleanEnv({ COLIBRI_HOME: hive.home, HOME: home.home, PATH: `${home.binDir}:/usr/bin:/bin`, ...extra });

/** A handler that waits until `<file>` exists, then answers `{ "released": "<file>" }`. */
const gate = (file: string) =>
  `#!/bin/sh\ncat > /dev/null\nwhile [ ! -e '${file}' ]; do sleep 0.02; done\nprintf '{"released":"%s"}' '${file}'\n`;

describe('colibri run-agent', { timeout: 120_000 }, () => {
  let hive: Hive;
  const homes: AgentHome[] = [];
  const agents: AgentProcess[] = [];
  const newHome = () => {
    const home = createAgentHome();
    homes.push(home);
    return home;
  };
  const start = (args: readonly string[], env: NodeJS.ProcessEnv, entry = COLIBRI_BIN) => {
    const agent = startAgentProcess(args, env, entry);
    agents.push(agent);
    return agent;
  };

  beforeEach(async () => {
    hive = await startHive();
  });
  afterEach(async () => {
    for (const agent of agents.splice(0)) {
      agent.kill('SIGKILL');
      await agent.exited;
    }
    await hive.stop();
    for (const home of homes.splice(0)) home.dispose();
  });

  // The CLI, and the light entry a jail starts (the same body without oclif).
  it.each([
    ['colibri run-agent', COLIBRI_BIN],
    ['the light entry (run-agent.bundle.cjs)', RUN_AGENT_BUNDLE],
  ])(
    '%s: SIGTERM drains: a running task finishes, the one still running is handed back, the agent goes offline, exit 0',
    async (_, entry) => {
      const home = newHome();
      home.handler('finish', gate(home.path('finish.go')));
      home.handler('hang', gate(home.path('never')));
      const agent = start(
        ['--name', 'drainer', '--capabilities', 'linux,shell', '--slots', '2', '--drain-timeout', '600'],
        agentEnv(hive, home),
        entry,
      );
      const registered = await agent.waitFor('registered');
      expect(registered).toMatchObject({
        name: 'drainer',
        tenant: null,
        via: 'operator',
        capabilities: ['linux', 'shell'],
      });
      const agentId = registered.agentId as string;
      // The agent token is kept for the next start: 0600 in a 0700 directory under its home.
      const stateDir = join(home.home, '.colibri', 'agents', 'drainer');
      expect(statSync(stateDir).mode & 0o777).toBe(0o700);
      expect(statSync(join(stateDir, 'agent.json')).mode & 0o777).toBe(0o600);

      const intake = (handler: string) =>
        hive.json<{ task: { id: string } }>([
          'intake-task',
          '--title',
          handler,
          '--capabilities',
          'shell',
          '--payload',
          JSON.stringify({ handler }),
        ]);
      const finishing = (await intake('finish')).task.id;
      const hanging = (await intake('hang')).task.id;
      await agent.waitFor('task-started', (l) => l.taskId === finishing);
      await agent.waitFor('task-started', (l) => l.taskId === hanging);

      agent.kill('SIGTERM');
      expect(await agent.waitFor('draining')).toMatchObject({ reason: 'SIGTERM', running: 2 });
      writeFileSync(home.path('finish.go'), '');
      await agent.waitFor('report-delivered', (l) => l.taskId === finishing && l.to === 'done');
      // The other would never finish: a second signal cuts the drain short.
      agent.kill('SIGTERM');
      expect(await agent.exited).toEqual({ code: 0, signal: null });

      expect(await agent.waitFor('handler-killed')).toMatchObject({ taskId: hanging, why: 'drain' });
      expect(await agent.waitFor('offline')).toMatchObject({ agentId, requeued: [hanging], failed: [] });
      expect(agent.lines.at(-1)).toMatchObject({ type: 'stopped', reason: 'SIGTERM' });
      expect(agent.stderr()).toBe('');
      const done = await hive.json<ShowTaskResponse>(['show-task', finishing]);
      expect(done.task).toMatchObject({ status: 'done', result: { released: home.path('finish.go') } });
      const handedBack = await hive.json<ShowTaskResponse>(['show-task', hanging]);
      expect(handedBack.task.status).toBe('parked');
      expect(handedBack.events.at(-1)?.reason).toBe('agent drainer stopped (SIGTERM): handed back');
      const { agents: listed } = await hive.json<{ agents: { id: string; status: string }[] }>([
        'list-agents',
      ]);
      expect(listed).toEqual([expect.objectContaining({ id: agentId, status: 'offline' })]);

      // The next start resumes the same agent with its stored token, and takes the handed-back task.
      home.handler('hang', '#!/bin/sh\ncat > /dev/null\necho \'"second time lucky"\'\n');
      const again = start(
        ['--name', 'drainer', '--capabilities', 'linux,shell'],
        agentEnv(hive, home),
        entry,
      );
      expect(await again.waitFor('registered')).toMatchObject({ agentId, via: 'stored' });
      await eventually('the handed-back task to finish', async () => {
        const shown = await hive.json<ShowTaskResponse>(['show-task', hanging]);
        return shown.task.status === 'done' ? shown : undefined;
      });
    },
  );

  it('the light entry answers help, parse errors and its own errors exactly as colibri run-agent does', async () => {
    const home = newHome();
    const env = agentEnv(hive, home);
    // [argv, the exit code both give]: what the light entry hands to the CLI and what it answers itself.
    const cases: Array<[string[], number]> = [
      [['run-agent', '--help'], 0],
      [['--version'], 0],
      [['run-agent', '--bogus', 'x'], 2],
      [['run-agent', '--slots', '0'], 2],
      [['run-agent', '--socket', '/s', '--url', 'http://127.0.0.1:9'], 2],
      [['run-agent', '--concurrency', '2', '--name', 'x', '--join-token-env', '1bad'], 2],
      [['run-agent', '--name', 'x', '--join-token-env', '1bad'], 2],
      [['run-agent', '--name', 'x', '--join-token-env', '1bad', '--json'], 2],
      [['run-agent', '--name', 'x', '--capabilities', 'Bad Tag', '--json'], 2],
    ];
    for (const [argv, status] of cases) {
      const [cli, lightEntry] = await Promise.all([
        runColibri(argv, env),
        runColibri(argv, env, RUN_AGENT_BUNDLE),
      ]);
      expect({ argv, ...lightEntry }).toEqual({ argv, ...cli });
      expect({ argv, status: lightEntry.status }).toEqual({ argv, status });
      expect(`${lightEntry.stdout}${lightEntry.stderr}`).not.toBe('');
    }
  });

  it('a lean tenant agent borrows the media lane: its handler intakes an image-render sub-task and waits for the result', async () => {
    // The shared media lane: declares image-render (forced: this test host has no Pillow).
    const media = newHome();
    media.handler(
      'render',
      `#!${process.execPath}
const payload = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
process.stdout.write(JSON.stringify({ rendered: payload.image, size: payload.size, by: 'media-lane', tenant: process.env.COLIBRI_TENANT ?? null }));
`,
    );
    const mediaIdentity = media.identity({
      name: 'media-lane',
      capabilities: ['linux', 'image-render'],
      forceCapabilities: ['image-render'],
    });
    const mediaAgent = start(['--identity-dir', mediaIdentity], agentEnv(hive, media));
    const mediaRegistered = await mediaAgent.waitFor('registered');
    expect(mediaRegistered).toMatchObject({ tenant: null, capabilities: ['linux', 'image-render'] });

    // The lean tenant agent: joins tenant acme with the one-time join token from its .env, and has
    // no image-render of its own. Its handler borrows it.
    const { token: joinToken } = await hive.json<{ token: string }>(['join-token', '--tenant', 'acme']);
    const lean = newHome();
    lean.env({ COLIBRI_JOIN_TOKEN: joinToken, OPENROUTER_API_KEY: 'sk-tenant-secret' });
    lean.handler(
      'illustrate',
      [
        '#!/bin/sh',
        'cat > /dev/null',
        'exec colibri intake-task --tenant "$COLIBRI_TENANT" --title "render for $COLIBRI_TASK_ID" \\',
        '  --capabilities image-render --payload \'{"handler":"render","image":"cat.png","size":256}\' \\',
        '  --wait --wait-timeout 60 --json',
      ].join('\n'),
    );
    const leanAgent = start(['--name', 'acme-lean', '--capabilities', 'linux,lean'], agentEnv(hive, lean));
    const leanRegistered = await leanAgent.waitFor('registered');
    expect(leanRegistered).toMatchObject({ tenant: 'acme', via: 'join' });

    const { task } = await hive.json<{ task: { id: string } }>([
      'intake-task',
      '--tenant',
      'acme',
      '--title',
      'illustrate the newsletter',
      '--capabilities',
      'lean',
      '--payload',
      '{"handler":"illustrate"}',
    ]);
    const shown = await eventually('the tenant task to finish', async () => {
      const current = await hive.json<ShowTaskResponse>(['show-task', task.id]);
      return ['done', 'failed', 'cancelled'].includes(current.task.status) ? current : undefined;
    });
    expect(shown.task).toMatchObject({
      status: 'done',
      tenant: 'acme',
      assignedAgentId: leanRegistered.agentId,
    });
    // Its result is the sub-task as `intake-task --wait --json` printed it: done by the media lane, for acme.
    const sub = shown.task.result as ShowTaskResponse & { warnings: string[] };
    expect(sub.task).toMatchObject({
      status: 'done',
      tenant: 'acme',
      requiredCapabilities: ['image-render'],
      assignedAgentId: mediaRegistered.agentId,
      result: { rendered: 'cat.png', size: 256, by: 'media-lane', tenant: null },
    });
    expect(sub.events.map((e) => e.to)).toEqual(['parked', 'assigned', 'running', 'done']);
    expect(sub.warnings).toEqual([]);
    // Nothing of the tenant's .env reached the media lane or the logs.
    expect(JSON.stringify(mediaAgent.lines)).not.toContain('sk-tenant-secret');
    expect(JSON.stringify(leanAgent.lines)).not.toContain('sk-tenant-secret');
    expect(JSON.stringify(leanAgent.lines)).not.toContain(joinToken);
  });

  it('intake-task --wait SECONDS: exit non-zero with the reason when the task fails; a wait that runs out gives up with its own code', async () => {
    const home = newHome();
    home.handler('broken', '#!/bin/sh\necho "no such font" >&2\nexit 3\n');
    const agent = start(['--name', 'fails', '--capabilities', 'linux,shell'], agentEnv(hive, home));
    await agent.waitFor('registered');
    const args = (handler: string) => [
      'intake-task',
      '--title',
      handler,
      '--capabilities',
      'shell',
      '--payload',
      JSON.stringify({ handler }),
      '--wait',
      '120',
    ];
    const human = await hive.colibri(args('broken'));
    expect(human.status).toBe(5);
    expect(human.stderr).toMatch(
      /^colibri: task \S+ failed: \[COLIBRI_HANDLER_FAILED\] handler exited with code 3 \[COLIBRI_TASK_FAILED\]\n$/,
    );
    const json = await hive.colibri([...args('broken'), '--json']);
    expect(json.status).toBe(5);
    const printed = JSON.parse(json.stdout) as ShowTaskResponse;
    expect(printed.task).toMatchObject({
      status: 'failed',
      result: { exitCode: 3, stderr: 'no such font\n' },
    });

    // Nobody offers gpu: the task stays parked and the wait gives up (the task goes on).
    const parked = await hive.colibri([
      'intake-task',
      '--title',
      'never',
      '--capabilities',
      'gpu',
      '--wait',
      '1',
    ]);
    expect(parked.status).toBe(5);
    expect(parked.stderr).toMatch(
      /task \S+ is still parked after 1 s; it goes on without you: colibri show-task \S+ \[COLIBRI_WAIT_TIMEOUT\]/,
    );
    const done = await hive.colibri([
      'intake-task',
      '--title',
      'x',
      '--capabilities',
      'shell',
      '--wait-timeout',
      '5',
    ]);
    expect(done.status).toBe(2);
    expect(done.stderr).toMatch(/--wait/);
  });
});
