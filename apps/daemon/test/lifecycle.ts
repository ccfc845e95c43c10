import { expect } from 'vitest';
import { type Daemon, SEED_HOSTS } from './daemon-harness.js';

/**
 * The end-to-end story on a running daemon: the seed's three hosts, an image-render task
 * routed to the media lane, a screenshot task parked (with the reason) and assigned the moment a
 * capable agent registers — without any poll — then both finished and the event log checked.
 *
 * With `agentSide` (another daemon on the same PostgreSQL), the operator takes tasks in on
 * `daemon` while the display agent registers, and every agent polls and reports, on `agentSide`.
 */
export async function runLifecycle(daemon: Daemon, agentSide: Daemon = daemon): Promise<void> {
  const { operator } = daemon;
  const twoDaemons = agentSide !== daemon;
  const agents = new Map<string, { id: string; token: string }>();
  for (const host of SEED_HOSTS.agents) {
    const { agent, token } = await operator.registerAgent({
      name: host.name,
      host: host.host,
      capabilities: host.capabilities,
    });
    expect(agent).toMatchObject({ name: host.name, status: 'idle', tenant: null, activeTasks: 0 });
    agents.set(host.name, { id: agent.id, token });
  }
  const domedog = agents.get('domedog')!;

  const render = await operator.intakeTask({
    title: 'render thumbnails',
    requiredCapabilities: ['image-render'],
    payload: { files: ['a.png'] },
  });
  expect(render.assignedTo).toEqual({ id: domedog.id, name: 'domedog' });
  expect(render.task).toMatchObject({ status: 'assigned', attempt: 1, assignedAgentId: domedog.id });
  expect(render.warnings).toEqual([]);

  const shot = await operator.intakeTask({
    title: 'screenshot the dashboard',
    requiredCapabilities: ['screenshot'],
  });
  expect(shot.assignedTo).toBeNull();
  expect(shot.task.status).toBe('parked');
  expect(shot.warnings.join()).toContain('"screenshot" has never been advertised');
  const why = await operator.showTask(shot.task.id);
  expect(why.parked?.unmatchedTags).toEqual(['screenshot']);
  expect(why.parked?.candidates.map((c) => c.agentName).sort()).toEqual([
    'domedog',
    'hermes-debby',
    'hermes-osa',
  ]);
  for (const candidate of why.parked?.candidates ?? []) expect(candidate.missing).toEqual(['screenshot']);
  expect(why.parked?.neverAdvertised).toEqual([{ tag: 'screenshot', suggestion: null }]);

  // A typo parks too, with a near-spelling suggestion.
  const typo = await operator.intakeTask({ title: 'typo', requiredCapabilities: ['linx'] });
  expect(typo.warnings.join()).toContain('did you mean "linux"?');
  expect((await operator.showTask(typo.task.id)).parked?.neverAdvertised).toEqual([
    { tag: 'linx', suggestion: 'linux' },
  ]);
  await operator.transitionTask(typo.task.id, { to: 'cancelled', reason: 'typo' });

  // A display-capable agent appears: the parked task is assigned at once, nobody polled.
  const image = await agentSide.operator.registerAgent({
    name: 'operator-image',
    host: 'osa',
    capabilities: ['freebsd', 'python3.11', 'image-render', 'screenshot', 'gui'],
  });
  expect(image.agent).toMatchObject({ status: 'active', activeTasks: 1 });
  const assigned = await operator.showTask(shot.task.id);
  expect(assigned.task).toMatchObject({ status: 'assigned', assignedAgentId: image.agent.id, attempt: 1 });
  expect(assigned.parked).toBeUndefined();

  // Each agent, with its own token, picks up and finishes its task.
  const media = agentSide.client(domedog.token);
  const { tasks: mediaTasks } = await media.poll(domedog.id, { waitSeconds: 5 });
  expect(mediaTasks.map((t) => t.id)).toEqual([render.task.id]);
  await media.transitionTask(render.task.id, { to: 'running', attempt: 1 });
  const done = await media.transitionTask(render.task.id, {
    to: 'done',
    attempt: 1,
    result: { thumbnails: 1 },
  });
  expect(done.task).toMatchObject({ status: 'done', result: { thumbnails: 1 } });

  const display = agentSide.client(image.token);
  const { tasks: displayTasks } = await display.poll(image.agent.id);
  expect(displayTasks.map((t) => t.id)).toEqual([shot.task.id]);
  await display.transitionTask(shot.task.id, { to: 'done', attempt: 1, result: { png: 'dash.png' } });

  const history = (id: string) =>
    operator.showTask(id).then(({ events }) => events.map((e) => `${e.from ?? 'intake'}->${e.to}`));
  expect(await history(render.task.id)).toEqual([
    'intake->parked',
    'parked->assigned',
    'assigned->running',
    'running->done',
  ]);
  expect(await history(shot.task.id)).toEqual(['intake->parked', 'parked->assigned', 'assigned->done']);
  const shotEvents = (await operator.showTask(shot.task.id)).events;
  expect(shotEvents[1]).toMatchObject({ agentId: image.agent.id, attempt: 1 });

  const status = await operator.status();
  expect(status.tasks).toMatchObject({ done: 2, cancelled: 1, parked: 0, assigned: 0 });
  expect(status.agents).toMatchObject({ idle: 4, active: 0, offline: 0 });
  const { agents: listed } = await operator.listAgents();
  expect(listed.map((a) => a.name)).toEqual(['domedog', 'hermes-debby', 'hermes-osa', 'operator-image']);

  const metrics = await operator.metrics();
  expect(metrics).toContain('colibri_tasks{status="done"} 2');
  expect(metrics).toContain('colibri_agents{status="idle"} 4');
  if (!twoDaemons) {
    expect(metrics).toMatch(/colibri_dispatch_latency_seconds_count\{stage="assign"\} 2/);
    expect(metrics).toMatch(/colibri_dispatch_latency_seconds_count\{stage="deliver"\} 2/);
    return;
  }
  // Each daemon measures the assignments it made; which one won each race is not fixed, the sum is.
  const assignCount = (text: string) =>
    Number(/colibri_dispatch_latency_seconds_count\{stage="assign"\} (\d+)/.exec(text)?.[1] ?? Number.NaN);
  expect(assignCount(metrics) + assignCount(await agentSide.operator.metrics())).toBe(2);
}
