// Skills end to end with real processes: manifests beside handlers, agents offering only what their
// tags allow, tasks by skill routed only to agents offering it, payloads checked at intake, a parked
// skill task picked up when an agent offering it joins, conflicting manifests reported.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiSkillListing, IntakeTaskResponse, ShowTaskResponse } from '@colibri/api';
import { createClient } from '@colibri/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AgentHome,
  type AgentProcess,
  createAgentHome,
  startAgentProcess,
} from './testing/agent-process.test-helper.js';
import { cleanEnv, type Hive, startHive } from './testing/colibri-process.test-helper.js';

const agentEnv = (hive: Hive, home: AgentHome) =>
  cleanEnv({ COLIBRI_HOME: hive.home, HOME: home.home, PATH: `${home.binDir}:/usr/bin:/bin` });

/** A handler that answers with its own name and the payload it was given. */
const echo = (name: string) => `#!/bin/sh\nprintf '{"by":"${name}","payload":%s}' "$(cat)"\n`;

const drawManifest = [
  'description: Draw a shape in a colour',
  'requiredCapabilities: [paint]',
  'payloadSchema:',
  '  type: object',
  '  required: [color]',
  '  properties:',
  '    color: {type: string}',
  '',
].join('\n');

describe('skills across real run-agent processes', { timeout: 180_000 }, () => {
  let hive: Hive;
  const homes: AgentHome[] = [];
  const agents: AgentProcess[] = [];
  const agentWith = (name: string, tags: string, setup: (home: AgentHome) => void) => {
    const home = createAgentHome();
    homes.push(home);
    setup(home);
    const agent = startAgentProcess(['--name', name, '--capabilities', tags], agentEnv(hive, home));
    agents.push(agent);
    return agent;
  };
  const skills = async () => (await hive.json<{ skills: ApiSkillListing[] }>(['list-skills'])).skills;

  beforeAll(async () => {
    hive = await startHive();
  });
  afterAll(async () => {
    for (const agent of agents) agent.kill('SIGKILL');
    await Promise.all(agents.map((agent) => agent.exited));
    await hive.stop();
    for (const home of homes) home.dispose();
  });

  it('offers a skill only where its tags are confirmed, routes by skill, checks the payload, parks and unparks', async () => {
    // painter has the handlers and manifests; plain has the same tags but no handler at all, and
    // fewer extra tags: routing by tags alone would pick it, routing by skill must not.
    const painter = agentWith('painter', 'linux,paint', (home) => {
      home.handler('draw', echo('painter'));
      writeFileSync(join(home.handlersDir, 'draw.skill.yaml'), drawManifest);
      home.handler('snap', echo('painter'));
      writeFileSync(
        join(home.handlersDir, 'snap.skill.yaml'),
        'description: Take a photo\nrequiredCapabilities: [camera]\n',
      );
    });
    const plain = agentWith('plain', 'linux,paint', () => {});
    expect(await painter.waitFor('skills')).toMatchObject({
      offered: ['draw'],
      declined: [{ name: 'snap', reason: 'this agent does not advertise camera' }],
    });
    await painter.waitFor('registered');
    await plain.waitFor('registered');

    const listed = await skills();
    expect(listed.map((s) => s.name)).toEqual(['draw', 'snap']);
    expect(listed[0]).toMatchObject({
      conflict: false,
      variants: [{ requiredCapabilities: ['paint'], agents: [{ name: 'painter' }] }],
    });
    expect(listed[1]).toMatchObject({ variants: [], declinedBy: [{ name: 'painter', missing: ['camera'] }] });

    // A bad payload is refused at intake, naming the field, and nothing is stored.
    const before = (await hive.json<{ tasks: unknown[] }>(['list-tasks'])).tasks.length;
    const bad = await hive.colibri([
      'intake-task',
      '--title',
      'd',
      '--skill',
      'draw',
      '--payload',
      '{"size":1}',
    ]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/payload .*color/);
    expect((await hive.json<{ tasks: unknown[] }>(['list-tasks'])).tasks).toHaveLength(before);

    // Every draw task goes to the agent offering the skill, never to the one without the handler.
    for (let i = 0; i < 3; i++) {
      const done = await hive.json<ShowTaskResponse>([
        'intake-task',
        '--title',
        `draw ${i}`,
        '--skill',
        'draw',
        '--payload',
        '{"color":"red"}',
        '--wait',
        '60',
      ]);
      expect(done.task).toMatchObject({
        status: 'done',
        skill: { name: 'draw' },
        requiredCapabilities: ['paint'],
        result: { by: 'painter', payload: { color: 'red' } },
      });
    }

    // Nobody offers snap: it parks, saying who has the handler and what it lacks.
    const parked = await hive.json<IntakeTaskResponse>([
      'intake-task',
      '--title',
      'photo',
      '--skill',
      'snap',
    ]);
    expect(parked.assignedTo).toBeNull();
    const shown = await hive.colibri(['show-task', parked.task.id]);
    expect(shown.stdout).toMatch(
      /no online agent offers skill snap; painter has the handler but lacks camera/,
    );
    // Another tenant's agent with the handler is never named to this task's reader (tenant isolation).
    const operator = createClient({ socketPath: hive.socket, token: hive.operatorToken });
    await operator.registerAgent({
      name: 'beta-lens',
      tenant: 'beta',
      capabilities: ['linux'],
      declinedSkills: [{ name: 'snap', missing: ['camera'], reason: 'this agent does not advertise camera' }],
    });
    const isolated = await hive.json<ShowTaskResponse>(['show-task', parked.task.id]);
    expect(isolated.parked?.skill?.declinedBy.map((d) => d.agentName)).toEqual(['painter']);
    const misspelt = await hive.json<IntakeTaskResponse>(['intake-task', '--title', 'x', '--skill', 'drawx']);
    const explained = await hive.json<ShowTaskResponse>(['show-task', misspelt.task.id]);
    expect(explained.parked?.skill?.neverOffered).toEqual({ suggestion: 'draw' });

    // A photographer joins with the handler and the tag: the parked task is picked up at once.
    const photographer = agentWith('photographer', 'linux,camera', (home) => {
      home.handler('snap', echo('photographer'));
      writeFileSync(
        join(home.handlersDir, 'snap.skill.yaml'),
        'description: Take a photo\nrequiredCapabilities: [camera]\n',
      );
    });
    await photographer.waitFor(
      'report-delivered',
      (line) => line.taskId === parked.task.id && line.to === 'done',
    );
    const finished = await hive.json<ShowTaskResponse>(['show-task', parked.task.id]);
    expect(finished.task).toMatchObject({ status: 'done', result: { by: 'photographer' } });
    expect(plain.lines.some((line) => line.type === 'task-started')).toBe(false);
  });

  it('conflicting manifests for one skill name are reported, and a task must pick one', async () => {
    const rival = agentWith('rival', 'linux,paint,ink', (home) => {
      home.handler('draw', echo('rival'));
      writeFileSync(
        join(home.handlersDir, 'draw.skill.yaml'),
        'description: Draw in ink\nrequiredCapabilities: [paint, ink]\n',
      );
    });
    await rival.waitFor('registered');
    const draw = (await skills()).find((s) => s.name === 'draw')!;
    expect(draw.conflict).toBe(true);
    expect(draw.variants).toHaveLength(2);

    const refused = await hive.colibri(['intake-task', '--title', 'd', '--skill', 'draw', '--payload', '{}']);
    expect(refused.status).toBe(4);
    expect(refused.stderr).toMatch(/COLIBRI_SKILL_CONFLICT/);
    expect(refused.stderr).toMatch(/draw@[0-9a-f]{12}/);

    const ink = draw.variants.find((v) => v.requiredCapabilities.includes('ink'))!;
    const done = await hive.json<ShowTaskResponse>([
      'intake-task',
      '--title',
      'ink',
      '--skill',
      `draw@${ink.digest}`,
      '--wait',
      '60',
    ]);
    expect(done.task).toMatchObject({
      status: 'done',
      result: { by: 'rival' },
      skill: { digest: ink.digest },
    });
  });
});
