// End to end with real processes: a real colibrid on a temp COLIBRI_HOME, and the CLI spawned as
// `node bin/run.js …` for every step, exactly as an operator or an agent's loop would run it.
import { readFileSync } from 'node:fs';
import type {
  IntakeTaskResponse,
  RegisterAgentResponse,
  ShowTaskResponse,
  StatusResponse,
} from '@colibri/api';
import { createClient } from '@colibri/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Hive, startHive, startTcpBridge } from './testing/colibri-process.test-helper.js';

interface SeedHost {
  name: string;
  host: string;
  tenant: string | null;
  capabilities: string[];
}
const seed = JSON.parse(
  readFileSync(new URL('../../../test-fixtures/seed-hosts.json', import.meta.url), 'utf8'),
) as { agents: SeedHost[] };

const lines = (text: string) => text.split('\n').filter((line) => line !== '');

describe('colibri against a real colibrid', { timeout: 60_000 }, () => {
  let hive: Hive;
  const agents = new Map<string, RegisterAgentResponse>();
  let imageTask: IntakeTaskResponse;
  let screenshotTaskId: string;
  let typoTaskId: string;

  beforeAll(async () => {
    hive = await startHive();
  }, 60_000);
  afterAll(async () => {
    await hive?.stop();
  });

  it('status: the daemon is reachable, with version, driver and counts', async () => {
    const result = await hive.colibri(['status']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^daemon {2}colibrid \S+ at unix socket .*colibri\.sock, up \d/);
    expect(result.stdout).toContain('store   sqlite');
    const status = await hive.json<StatusResponse>(['status']);
    expect(status.driver).toBe('sqlite');
    expect(status.agents).toMatchObject({ idle: 0, active: 0, offline: 0 });
    expect(result.stdout).not.toContain(hive.operatorToken);
  });

  it("register-agent: the seed's three hosts, each token shown once", async () => {
    const [first, ...rest] = seed.agents;
    const human = await hive.colibri([
      'register-agent',
      first!.name,
      '--host',
      first!.host,
      '--capabilities',
      first!.capabilities.join(','),
      // Room for every task this file gives one lane (the default is one at a time).
      '--slots',
      '8',
    ]);
    expect(human.status).toBe(0);
    const [registered, idLine, tokenLine, note] = lines(human.stdout);
    expect(registered).toBe(`registered agent ${first!.name} (idle, shared, 8 slots)`);
    expect(idLine).toMatch(/^agent id {2}\S+$/);
    expect(tokenLine).toMatch(/^token {5}\S{16,}$/);
    expect(note).toMatch(/shown only once/);
    const id = idLine!.split(/\s+/)[2]!;
    const token = tokenLine!.split(/\s+/)[1]!;
    agents.set(first!.name, { token, agent: (await hive.json<ShowAgents>(['list-agents'])).agents[0]! });

    for (const host of rest) {
      const response = await hive.json<RegisterAgentResponse>([
        'register-agent',
        host.name,
        '--host',
        host.host,
        '--capabilities',
        host.capabilities.join(','),
        '--slots',
        '8',
      ]);
      expect(response.agent).toMatchObject({
        name: host.name,
        host: host.host,
        tenant: null,
        status: 'idle',
      });
      expect(response.agent.capabilities).toEqual(host.capabilities);
      expect(typeof response.token).toBe('string');
      agents.set(host.name, response);
    }
    expect(agents.get(first!.name)!.agent.id).toBe(id);
  });

  it('list-agents: an aligned table, and JSON with camelCase fields', async () => {
    const result = await hive.colibri(['list-agents']);
    expect(result.status).toBe(0);
    const [header, ...rows] = lines(result.stdout);
    expect(header).toMatch(/^ID +NAME +HOST +TENANT +STATUS +LOAD +HEARTBEAT +CAPABILITIES$/);
    expect(rows).toHaveLength(3);
    const column = header!.indexOf('NAME');
    expect(rows.map((row) => row.slice(column).split(' ')[0]).sort()).toEqual([
      'domedog',
      'hermes-debby',
      'hermes-osa',
    ]);
    const { agents: listed } = await hive.json<ShowAgents>(['list-agents', '--status', 'idle']);
    expect(listed).toHaveLength(3);
    expect(listed[0]).toHaveProperty('lastHeartbeatAt');
    expect(listed[0]).toHaveProperty('activeTasks');
  });

  it('intake-task image-render goes to the media lane (domedog)', async () => {
    const human = await hive.colibri([
      'intake-task',
      '--title',
      'render thumbnails',
      '--capabilities',
      'image-render',
    ]);
    expect(human.status).toBe(0);
    expect(human.stderr).toBe('');
    expect(human.stdout).toMatch(
      new RegExp(`^task \\S+ assigned to domedog \\(${agents.get('domedog')!.agent.id}\\)\\n$`),
    );
    imageTask = await hive.json<IntakeTaskResponse>([
      'intake-task',
      '--title',
      'render more thumbnails',
      '--capabilities',
      'image-render',
      '--payload',
      '{"url":"https://example.org/a.png"}',
    ]);
    expect(imageTask.assignedTo?.name).toBe('domedog');
    expect(imageTask.task).toMatchObject({
      status: 'assigned',
      attempt: 1,
      payload: { url: 'https://example.org/a.png' },
    });
  });

  it('intake-task screenshot parks, saying why; show-task explains per agent', async () => {
    const human = await hive.colibri([
      'intake-task',
      '--title',
      'screenshot the board',
      '--capabilities',
      'screenshot',
    ]);
    expect(human.status).toBe(0);
    expect(human.stdout).toMatch(/^task \S+ parked: no eligible online agent offers screenshot; /);
    screenshotTaskId = human.stdout.split(' ')[1]!;

    const shown = await hive.colibri(['show-task', screenshotTaskId]);
    expect(shown.status).toBe(0);
    expect(shown.stdout).toContain('status       parked');
    expect(shown.stdout).toContain('closest online agents:');
    for (const name of ['domedog', 'hermes-debby', 'hermes-osa']) {
      expect(shown.stdout).toMatch(new RegExp(`\\n {2}${name} +\\S+ +screenshot\\n`));
    }
    const json = await hive.json<ShowTaskResponse>(['show-task', screenshotTaskId]);
    expect(json.task.status).toBe('parked');
    expect(json.parked?.unmatchedTags).toEqual(['screenshot']);
    expect(json.parked?.candidates).toHaveLength(3);
    expect(json.events.at(-1)).toMatchObject({ to: 'parked' });
  });

  it('a never-advertised tag (linx) parks with a warning and the suggestion linux', async () => {
    const human = await hive.colibri(['intake-task', '--title', 'typo', '--capabilities', 'linx,shell']);
    expect(human.status).toBe(0);
    expect(human.stderr).toMatch(/^colibri: warning: .*linx.*linux/);
    expect(lines(human.stderr)).toHaveLength(1);
    typoTaskId = human.stdout.split(' ')[1]!;
    expect(human.stdout).toMatch(/parked: no eligible online agent offers linx/);

    const shown = await hive.colibri(['show-task', typoTaskId]);
    expect(shown.stdout).toContain('warning: no agent has ever advertised "linx"; did you mean "linux"?');
    const json = await hive.json<ShowTaskResponse>(['show-task', typoTaskId]);
    expect(json.parked?.neverAdvertised).toEqual([{ tag: 'linx', suggestion: 'linux' }]);
    // Closest first: the shell hosts lack only linx; domedog lacks both.
    const last = json.parked?.candidates.at(-1);
    expect(last?.agentName).toBe('domedog');
    expect([...(last?.missing ?? [])].sort()).toEqual(['linx', 'shell']);

    const intake = await hive.json<IntakeTaskResponse>([
      'intake-task',
      '--title',
      'typo',
      '--capabilities',
      'linx',
    ]);
    expect(intake.warnings.join(' ')).toMatch(/linux/);
  });

  it('registering an agent with screenshot assigns the parked task at once, without any poll', async () => {
    const response = await hive.json<RegisterAgentResponse>([
      'register-agent',
      'operator-image',
      '--host',
      'osa-desktop',
      '--capabilities',
      'freebsd,screenshot,image-render,gui',
    ]);
    agents.set('operator-image', response);
    const shown = await hive.json<ShowTaskResponse>(['show-task', screenshotTaskId]);
    expect(shown.task).toMatchObject({ status: 'assigned', assignedAgentId: response.agent.id, attempt: 1 });
    expect(shown.parked).toBeUndefined();
    const typo = await hive.json<ShowTaskResponse>(['show-task', typoTaskId]);
    expect(typo.task.status).toBe('parked');
  });

  it('the agent polls with its own token, then reports running and done with --attempt', async () => {
    const { agent, token } = agents.get('operator-image')!;
    const asAgent = { COLIBRI_TOKEN: token };
    const polled = await hive.colibri(['poll', '--agent', agent.id], asAgent);
    expect(polled.status).toBe(0);
    const [header, row] = lines(polled.stdout);
    expect(header).toMatch(/^ID +STATUS +ATTEMPT +TITLE +PAYLOAD$/);
    expect(row).toMatch(new RegExp(`^${screenshotTaskId} +assigned +1 +screenshot the board +-$`));
    const { tasks } = await hive.json<{ tasks: { id: string; attempt: number }[] }>(
      ['poll', '--agent', agent.id],
      asAgent,
    );
    expect(tasks).toEqual([expect.objectContaining({ id: screenshotTaskId, attempt: 1 })]);

    const running = await hive.colibri(
      ['transition-task', screenshotTaskId, '--to', 'running', '--attempt', '1'],
      asAgent,
    );
    expect(running.stdout).toBe(`task ${screenshotTaskId} is now running (attempt 1)\n`);
    const done = await hive.json<{ task: { status: string; result: unknown } }>(
      [
        'transition-task',
        screenshotTaskId,
        '--to',
        'done',
        '--attempt',
        '1',
        '--result',
        '{"png":"board.png"}',
      ],
      asAgent,
    );
    expect(done.task).toMatchObject({ status: 'done', result: { png: 'board.png' } });

    const history = await hive.json<ShowTaskResponse>(['show-task', screenshotTaskId]);
    expect(history.events.map((event) => [event.from, event.to])).toEqual([
      [null, 'parked'],
      ['parked', 'assigned'],
      ['assigned', 'running'],
      ['running', 'done'],
    ]);
    const shown = await hive.colibri(['show-task', screenshotTaskId]);
    expect(shown.stdout).toMatch(/history:\n {2}AT +FROM +TO +ATTEMPT +AGENT +REASON\n/);
    expect(shown.stdout).toContain('result       {"png":"board.png"}');
  });

  it('a stale attempt is refused with the conflict exit code, and changes nothing', async () => {
    const { token } = agents.get('domedog')!;
    const result = await hive.colibri(
      ['transition-task', imageTask.task.id, '--to', 'done', '--attempt', '7'],
      { COLIBRI_TOKEN: token },
    );
    expect(result.status).toBe(4);
    expect(lines(result.stderr)).toHaveLength(1);
    expect(result.stderr).toMatch(/^colibri: .* \[COLIBRI_\w+\]\n$/);
    const shown = await hive.json<ShowTaskResponse>(['show-task', imageTask.task.id]);
    expect(shown.task.status).toBe('assigned');
  });

  it('heartbeat with the agent token; an agent may not act for another agent', async () => {
    const domedog = agents.get('domedog')!;
    const beat = await hive.colibri(['heartbeat', '--agent', domedog.agent.id], {
      COLIBRI_TOKEN: domedog.token,
    });
    expect(beat.status).toBe(0);
    expect(beat.stdout).toMatch(/^agent domedog \(\S+\) is (idle|active), last heartbeat \d+s ago\n$/);

    const osa = agents.get('hermes-osa')!;
    const foreign = await hive.colibri(['poll', '--agent', domedog.agent.id], { COLIBRI_TOKEN: osa.token });
    expect(foreign.status).toBe(77);
    expect(foreign.stderr).toMatch(/\[COLIBRI_FORBIDDEN\]\n$/);
    expect(foreign.stderr).not.toContain(osa.token);
  });

  it('poll --wait returns as soon as a task is assigned', async () => {
    const debby = agents.get('hermes-debby')!;
    const started = Date.now();
    const waiting = hive.colibri(['poll', '--agent', debby.agent.id, '--wait', '20', '--json'], {
      COLIBRI_TOKEN: debby.token,
    });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const intake = await hive.json<IntakeTaskResponse>([
      'intake-task',
      '--title',
      'build image',
      '--capabilities',
      'docker',
    ]);
    expect(intake.assignedTo?.name).toBe('hermes-debby');
    const result = await waiting;
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout).tasks).toEqual([expect.objectContaining({ id: intake.task.id })]);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('list-tasks: filter by status, a table, and JSON', async () => {
    const parked = await hive.json<{ tasks: { id: string; status: string }[] }>([
      'list-tasks',
      '--status',
      'parked',
    ]);
    expect(parked.tasks.map((task) => task.id)).toContain(typoTaskId);
    expect(parked.tasks.every((task) => task.status === 'parked')).toBe(true);
    const table = await hive.colibri(['list-tasks']);
    expect(table.status).toBe(0);
    const [header, ...rows] = lines(table.stdout);
    expect(header).toMatch(/^ID +STATUS +PRIORITY +ATTEMPT +AGENT +TENANT +NEEDS +TITLE$/);
    expect(rows.length).toBeGreaterThanOrEqual(6);
    const limited = await hive.json<{ tasks: unknown[] }>(['list-tasks', '--limit', '2']);
    expect(limited.tasks).toHaveLength(2);
  });

  it('join-token registers exactly one tenant agent', async () => {
    const human = await hive.colibri(['join-token', '--tenant', 'acme', '--ttl', '600']);
    expect(human.status).toBe(0);
    const [, token, note] = lines(human.stdout);
    expect(note).toMatch(/shown only once/);
    const register = ['register-agent', 'acme-worker', '--tenant', 'acme', '--capabilities', 'linux,shell'];
    const registered = await hive.json<RegisterAgentResponse>(register, { COLIBRI_TOKEN: token! });
    expect(registered.agent.tenant).toBe('acme');
    const again = await hive.colibri([register[0]!, 'acme-worker-2', ...register.slice(2)], {
      COLIBRI_TOKEN: token!,
    });
    expect(again.status).toBe(77);
    expect(again.stderr).not.toContain(token!);
  });

  it('a wrong token is refused (77) with one line that names where the token came from, not the token', async () => {
    const secret = 'not-the-operator-token-0123456789';
    const result = await hive.colibri(['list-agents'], { COLIBRI_TOKEN: secret });
    expect(result.status).toBe(77);
    expect(lines(result.stderr)).toHaveLength(1);
    expect(result.stderr).toContain('COLIBRI_TOKEN');
    expect(result.stderr).not.toContain(secret);
    const flag = await hive.colibri(['list-agents', '--token', secret, '--json']);
    expect(flag.status).toBe(77);
    expect(JSON.parse(flag.stdout).error.code).toBe('COLIBRI_UNAUTHENTICATED');
    expect(flag.stdout).not.toContain(secret);
  });

  it('an unknown task is not found (3)', async () => {
    const result = await hive.colibri(['show-task', '00000000-0000-4000-8000-000000000000']);
    expect(result.status).toBe(3);
    expect(result.stderr).toMatch(/\[COLIBRI_TASK_NOT_FOUND\]\n$/);
  });

  it('list-agents --retired: a retired agent is hidden, then listed as retired on request', async () => {
    const operator = createClient({ socketPath: hive.socket, token: hive.operatorToken });
    const { agent } = await operator.registerAgent({ name: 'short-lived', capabilities: [], tenant: 'acme' });
    await operator.retireAgent(agent.id, { reason: 'jail destroyed' });
    const { agents: live } = await hive.json<ShowAgents>(['list-agents']);
    expect(live.map((a) => a.name)).not.toContain('short-lived');
    const { agents: all } = await hive.json<ShowAgents>(['list-agents', '--retired']);
    expect(all.find((a) => a.id === agent.id)).toMatchObject({ name: 'short-lived', status: 'offline' });
    expect(all.find((a) => a.id === agent.id)?.retiredAt).not.toBeNull();
    const human = await hive.colibri(['list-agents', '--retired', '--tenant', 'acme']);
    expect(human.status).toBe(0);
    expect(lines(human.stdout).find((row) => row.includes('short-lived'))).toMatch(/ retired /);
  });

  it('reaches the daemon over TCP with --url (a bridge like socat) and the token from --token', async () => {
    const bridge = await startTcpBridge(hive.socket);
    try {
      const status = await hive.colibri(['status', '--url', bridge.url, '--home', '/nonexistent']);
      expect(status.status).toBe(77); // no operator token file at that home: refused, not unreachable
      const withToken = await hive.colibri([
        'status',
        '--url',
        bridge.url,
        '--home',
        '/nonexistent',
        '--token',
        hive.operatorToken,
      ]);
      expect(withToken.status).toBe(0);
      expect(withToken.stdout).toContain(`at ${bridge.url}`);
      expect(withToken.stdout).not.toContain(hive.operatorToken);
    } finally {
      await bridge.close();
    }
  });
});

interface ShowAgents {
  agents: RegisterAgentResponse['agent'][];
}
