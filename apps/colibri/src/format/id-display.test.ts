import { describe, expect, it } from 'vitest';
import { agent, task } from './fixtures.test-helper.js';
import { formatAgentTable } from './format-agents.js';
import { formatShowTask } from './format-show-task.js';
import { formatTaskTable } from './format-tasks.js';
import { displayAgent, displayId, SHORT_IDS } from './id-display.js';

const TASK_ID = '5f0c6a1e-2b3c-4d5e-8f90-0123456789ab';
const AGENT_ID = '0b6e0d3c-1111-4222-8333-444455556666';
const names = new Map([[AGENT_ID, 'domedog']]);

describe('short ids and agent names in tables', () => {
  it('ids are cut to 8 characters unless wide; agents go by name when known', () => {
    expect(displayId(TASK_ID, SHORT_IDS)).toBe('5f0c6a1e');
    expect(displayId(TASK_ID, { wide: true, agentNames: names })).toBe(TASK_ID);
    expect(displayAgent(AGENT_ID, { wide: false, agentNames: names })).toBe('domedog');
    expect(displayAgent(AGENT_ID, SHORT_IDS)).toBe('0b6e0d3c');
    expect(displayAgent(null, SHORT_IDS)).toBe('-');
  });

  it('list-tasks: short task ids and agent names; --wide: whole ids and an AGENT ID column', () => {
    const tasks = [task({ id: TASK_ID, assignedAgentId: AGENT_ID })];
    const [header, row] = formatTaskTable(tasks, { wide: false, agentNames: names }).split('\n');
    expect(header).toMatch(/^ID +STATUS +PRIORITY +ATTEMPT +AGENT +TENANT/);
    expect(row).toMatch(/^5f0c6a1e +assigned +0 +1\/3 +domedog +- /);
    expect(row).not.toContain(AGENT_ID);
    const [wideHeader, wideRow] = formatTaskTable(tasks, { wide: true, agentNames: names }).split('\n');
    expect(wideHeader).toMatch(/ AGENT +AGENT ID +TENANT /);
    expect(wideRow).toContain(`${TASK_ID}  assigned`);
    expect(wideRow).toMatch(new RegExp(`domedog +${AGENT_ID} +- `));
  });

  it('list-agents: short ids unless wide', () => {
    const agents = [agent({ id: AGENT_ID })];
    expect(formatAgentTable(agents, new Date(), SHORT_IDS).split('\n')[1]).toMatch(/^0b6e0d3c +domedog /);
    expect(
      formatAgentTable(agents, new Date(), { wide: true, agentNames: new Map() }).split('\n')[1],
    ).toMatch(new RegExp(`^${AGENT_ID} +domedog `));
  });

  it('show-task: the task id whole, its agent and the history by name with a short id', () => {
    const response = {
      task: task({ id: TASK_ID, assignedAgentId: AGENT_ID }),
      events: [
        {
          id: 1,
          from: null,
          to: 'parked',
          agentId: null,
          attempt: 0,
          reason: 'intake',
          at: '2026-06-19T11:00:00.000Z',
        },
        {
          id: 2,
          from: 'parked',
          to: 'assigned',
          agentId: AGENT_ID,
          attempt: 1,
          reason: 'best fit',
          at: '2026-06-19T11:00:01.000Z',
        },
      ],
      stderrTail: null,
    } as const;
    const text = formatShowTask(response, { wide: false, agentNames: names });
    expect(text).toContain(`task         ${TASK_ID}\n`);
    expect(text).toContain('agent        domedog (0b6e0d3c)\n');
    expect(text).toMatch(/parked +assigned +1 +domedog +best fit/);
    expect(formatShowTask(response, { wide: true, agentNames: names })).toContain(
      `agent        domedog (${AGENT_ID})`,
    );
    // Without names (an agent's token may not list agents): the whole agent id.
    expect(formatShowTask(response)).toContain(`agent        ${AGENT_ID}\n`);
  });
});
