// Agents on other "hosts" (network namespaces) run `colibri run-agent` against the hub's bridge:
// they register, long-poll, run handlers and complete tasks; when the bridge dies or a link is
// pulled they reconnect and resume without losing or duplicating a task; an agent whose link stays
// down past its TTL is marked offline, its task re-queued, and its late completion refused by the
// attempt token.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ColibriClient, createClient } from '@colibri/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  COLIBRI_BIN,
  cleanEnv,
  type LabDaemon,
  type LabProcess,
  startLabBridge,
  startLabDaemon,
  track,
  waitUntil,
} from './lab-processes.js';
import { createNetworkLab, type LabHost, type NetworkLab } from './network-lab.js';

const PORT = 9190;
// Short liveness so "past its TTL" happens within a test (silent 6 s + 2 s grace → offline), yet
// long enough that restarting the bridge on a loaded machine stays well inside it.
const DAEMON_ARGS = ['--heartbeat-ttl', '6s', '--grace', '2s', '--lease', '30s', '--sweep-interval', '1s'];

interface AgentProcess extends LabProcess {
  readonly name: string;
  events(): Array<Record<string, unknown> & { type: string }>;
  agentId(): string | undefined;
}

describe('run-agent on other hosts, through the bridge', () => {
  let lab: NetworkLab;
  let hub: LabHost;
  let laptop: LabHost;
  let vm: LabHost;
  let daemon: LabDaemon;
  let bridge: LabProcess;
  let operator: ColibriClient;
  let work: string;
  const agents: AgentProcess[] = [];

  function startAgent(host: LabHost, name: string, capabilities: string): AgentProcess {
    const home = join(work, name);
    mkdirSync(home, { recursive: true });
    const proc = track(
      host.spawn(
        process.execPath,
        [
          COLIBRI_BIN,
          'run-agent',
          '--url',
          `http://${hub.address}:${PORT}`,
          '--name',
          name,
          '--capabilities',
          capabilities,
          '--handlers',
          join(work, 'handlers'),
          '--state-dir',
          join(home, 'state'),
          '--json',
        ],
        {
          env: cleanEnv({ HOME: home, COLIBRI_TOKEN: daemon.operatorToken }),
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      ),
    );
    const events = () =>
      proc
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown> & { type: string });
    const agent: AgentProcess = {
      ...proc,
      name,
      events,
      agentId: () => events().find((event) => event.type === 'registered')?.agentId as string | undefined,
    };
    agents.push(agent);
    return agent;
  }

  const eventually = (what: string, ready: () => boolean | Promise<boolean>, agent?: AgentProcess) =>
    waitUntil(what, ready, 60_000, () => agent?.output() ?? daemon.output());

  async function finished(taskId: string) {
    let status = '';
    await eventually(`task ${taskId} to finish`, async () => {
      status = (await operator.showTask(taskId)).task.status;
      return status === 'done' || status === 'failed';
    });
    return operator.showTask(taskId);
  }

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'colibri-lab-agents-'));
    mkdirSync(join(work, 'handlers'));
    // `work`: sleeps as long as the payload asks (in tenths of a second), then answers.
    writeFileSync(
      join(work, 'handlers', 'work'),
      '#!/bin/sh\npayload=$(cat)\nt=$(printf %s "$payload" | sed -n \'s/.*"tenths":\\([0-9]*\\).*/\\1/p\')\n' +
        '[ -n "$t" ] && sleep "$(echo "$t" | sed \'s/.$/.&/;s/^\\./0./\')"\nprintf \'{"ranOn":"%s"}\\n\' "$COLIBRI_AGENT_ID"\n',
    );
    chmodSync(join(work, 'handlers', 'work'), 0o755);
    lab = await createNetworkLab('agents');
    hub = await lab.addHost('hub', 1);
    laptop = await lab.addHost('laptop', 11);
    vm = await lab.addHost('vm', 12);
    daemon = await startLabDaemon(hub, DAEMON_ARGS);
    bridge = await startLabBridge(hub, daemon, PORT);
    operator = createClient({ socketPath: daemon.socket, token: daemon.operatorToken });
  });

  afterAll(async () => {
    for (const agent of agents) await agent.kill();
    await bridge?.stop();
    await daemon?.stop();
    daemon?.cleanup();
    await lab?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('agents on two hosts register through the bridge and run their lanes’ tasks', async () => {
    const a = startAgent(laptop, 'laptop-agent', 'lane-a');
    const b = startAgent(vm, 'vm-agent', 'lane-b');
    await eventually(
      'both agents to register',
      () => a.agentId() !== undefined && b.agentId() !== undefined,
      a,
    );
    for (const [lane, agent] of [
      ['lane-a', a],
      ['lane-b', b],
    ] as const) {
      const { task } = await operator.intakeTask({
        title: `work on ${lane}`,
        requiredCapabilities: [lane],
        payload: { handler: 'work' },
      });
      const shown = await finished(task.id);
      expect(shown.task.status).toBe('done');
      expect(shown.task.assignedAgentId).toBe(agent.agentId());
      expect(shown.task.result).toEqual({ ranOn: agent.agentId() });
    }
  });

  it('the bridge dies mid-task: the agent retries its report and the task completes exactly once', async () => {
    const a = agents[0] as AgentProcess;
    const { task } = await operator.intakeTask({
      title: 'long work across a dying bridge',
      requiredCapabilities: ['lane-a'],
      payload: { handler: 'work', tenths: 15 },
    });
    await eventually('the handler to start', () =>
      a.events().some((event) => event.type === 'task-started' && event.taskId === task.id),
    );
    // Kill socat itself, as a crash would (the `colibri bridge` supervising it then exits too).
    const bridgePid = bridge.child.pid as number;
    const socatPids = readFileSync(`/proc/${bridgePid}/task/${bridgePid}/children`, 'utf8')
      .trim()
      .split(/\s+/);
    expect(socatPids).toHaveLength(1);
    process.kill(Number(socatPids[0]), 'SIGKILL');
    await eventually('the bridge to exit with socat', () => bridge.exited());
    // Its `done` cannot be delivered while the bridge is down: it is kept and retried.
    await eventually(
      'the agent to notice the bridge is gone',
      () => a.events().some((event) => event.type === 'report-retry' || event.type === 'connection-lost'),
      a,
    );
    // A task taken in while the bridge is down waits for the agent too.
    const { task: second } = await operator.intakeTask({
      title: 'taken in while the bridge is down',
      requiredCapabilities: ['lane-a'],
      payload: { handler: 'work' },
    });
    bridge = await startLabBridge(hub, daemon, PORT);
    for (const id of [task.id, second.id]) {
      const shown = await finished(id);
      expect(shown.task.status).toBe('done');
      expect(shown.task.attempt).toBe(1);
      expect(shown.events.filter((event) => event.to === 'done')).toHaveLength(1);
    }
  });

  it('a link down past the TTL: offline, re-queued, the late completion refused by the attempt token', async () => {
    const b = agents[1] as AgentProcess;
    const { task } = await operator.intakeTask({
      title: 'work on a host that drops off',
      requiredCapabilities: ['lane-b'],
      payload: { handler: 'work', tenths: 20 },
    });
    await eventually('the handler to start', () =>
      b.events().some((event) => event.type === 'task-started' && event.taskId === task.id),
    );
    await vm.setLink(false);
    // Silent past TTL + grace: the daemon marks it offline and re-queues the task (parked: no
    // other agent has lane-b).
    await eventually('the agent to go offline and its task to be re-queued', async () => {
      const shown = await operator.showTask(task.id);
      const agent = (await operator.listAgents()).agents.find((entry) => entry.id === b.agentId());
      return shown.task.status === 'parked' && agent?.status === 'offline';
    });
    // The handler has finished meanwhile; its `done` for attempt 1 is waiting to be sent.
    await eventually('the handler to finish', () =>
      b.events().some((event) => event.type === 'task-finished' && event.taskId === task.id),
    );
    await vm.setLink(true);
    await eventually(
      'the late completion to be refused',
      () =>
        b
          .events()
          .some(
            (event) =>
              event.type === 'report-dropped' &&
              event.taskId === task.id &&
              event.attempt === 1 &&
              event.to === 'done',
          ),
      b,
    );
    // Back online, the agent gets the task again as attempt 2 and completes it once.
    const shown = await finished(task.id);
    expect(shown.task.status).toBe('done');
    expect(shown.task.attempt).toBe(2);
    const dones = shown.events.filter((event) => event.to === 'done');
    expect(dones).toHaveLength(1);
    expect(dones[0]?.attempt).toBe(2);
  });
});
