import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiAgent } from '@colibri/api';
import type { ColibriClient } from '@colibri/client';
import { openStore } from '@colibri/store';
import { afterEach, describe, expect, it } from 'vitest';
import { type Daemon, eventually, startDaemon } from './daemon-harness.js';
import { parseExposition } from './prometheus-text.js';

async function commits(daemon: Daemon): Promise<number> {
  return parseExposition(await daemon.operator.metrics()).value('colibri_store_commits_total') ?? Number.NaN;
}

/** The agent's row as the SQLite file has it (opened beside the stopped daemon). */
async function storedAgent(home: string, agentId: string) {
  const store = await openStore({ driver: 'sqlite', path: join(home, 'colibri.db') });
  try {
    return await store.getAgent(agentId);
  } finally {
    await store.close();
  }
}

const QUIET = ['--heartbeat-ttl', '1h', '--lease', '1h', '--sweep-interval', '1h'];

describe('heartbeats kept in memory', () => {
  let daemon: Daemon | undefined;
  afterEach(() => daemon?.dispose());

  it('idle agents heartbeat without a commit each; a graceful stop writes the last one', async () => {
    // Long TTL, lease and sweep: no flush and no liveness pass fall inside the test.
    daemon = await startDaemon({ args: QUIET, keepHome: true });
    const agents: { agent: ApiAgent; client: ColibriClient }[] = [];
    for (let i = 0; i < 10; i++) {
      const { agent, token } = await daemon.operator.registerAgent({
        name: `idle-${i}`,
        capabilities: ['linux'],
      });
      agents.push({ agent, client: daemon.client(token) });
    }
    const before = await commits(daemon);
    let last = '';
    for (let round = 0; round < 10; round++) {
      for (const { agent, client } of agents) {
        const answer = await client.heartbeat(agent.id);
        expect(answer.agent.status).toBe('idle');
        last = answer.agent.lastHeartbeatAt ?? '';
      }
    }
    // 100 heartbeats from idle agents, none of them a commit (10 min TTL: no flush is due yet).
    expect(await commits(daemon)).toBe(before);
    // What the daemon answers is what it remembers, not the stale stored time.
    const listed = (await daemon.operator.listAgents()).agents.find((a) => a.id === agents.at(-1)!.agent.id);
    expect(listed?.lastHeartbeatAt).toBe(last);

    const home = daemon.home;
    expect((await daemon.stop('SIGTERM')).code).toBe(0);
    const stored = await storedAgent(home, agents.at(-1)!.agent.id);
    expect(stored.lastHeartbeatAt?.toISOString()).toBe(last);
    expect(stored.status).toBe('idle');
    rmSync(home, { recursive: true, force: true });
  });

  it('an agent holding a task renews its lease through the store at once (a commit per heartbeat)', async () => {
    daemon = await startDaemon({ args: QUIET });
    const { agent, token } = await daemon.operator.registerAgent({ name: 'busy', capabilities: ['linux'] });
    const worker = daemon.client(token);
    await daemon.operator.intakeTask({ title: 'held', requiredCapabilities: ['linux'] });
    await eventually(
      async () => ((await worker.poll(agent.id)).tasks.length === 1 ? true : undefined),
      'the task',
    );
    const before = await commits(daemon);
    await worker.heartbeat(agent.id);
    await worker.heartbeat(agent.id);
    expect(await commits(daemon)).toBe(before + 2);
  });

  it('after kill -9 and a restart, an agent whose heartbeats were only in memory gets a fresh TTL, then goes offline when silent', async () => {
    const args = ['--heartbeat-ttl', '6s', '--grace', '1s', '--lease', '1h', '--sweep-interval', '1s'];
    daemon = await startDaemon({ args, keepHome: true });
    const { agent, token } = await daemon.operator.registerAgent({ name: 'steady', capabilities: ['linux'] });
    const client = daemon.client(token);
    await client.heartbeat(agent.id);
    await client.heartbeat(agent.id);
    const home = daemon.home;
    await daemon.stop('SIGKILL');
    // Down for longer than TTL + grace past anything the store could hold of this agent.
    const stored = await storedAgent(home, agent.id);
    const lastStored = (stored.lastHeartbeatAt ?? stored.registeredAt).getTime();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, lastStored + 8000 - Date.now())));

    daemon = await startDaemon({ home, args });
    // Not offline for what the killed daemon had in memory: a fresh TTL from the restart, still
    // good after several liveness passes (every 1.5 s) have run.
    await new Promise((resolve) => setTimeout(resolve, 3500));
    const after = await daemon.operator.listAgents();
    expect(after.agents.find((a) => a.id === agent.id)?.status).toBe('idle');
    // Liveness still works: silent from now on, it goes offline after TTL + grace.
    await eventually(async () => {
      const { agents } = await daemon!.operator.listAgents();
      return agents.find((a) => a.id === agent.id)?.status === 'offline' ? true : undefined;
    }, 'the silent agent to go offline');
    expect(daemon.logs()).toMatch(/agent offline: no heartbeat for 7s/);
    // Its next heartbeat brings it back (through the store: a state change).
    const back = await daemon.client(token).heartbeat(agent.id);
    expect(back.agent.status).toBe('idle');
  });
});
