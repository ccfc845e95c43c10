import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '@colibri/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Daemon, startDaemon } from './daemon-harness.js';

// The registration reply's activeTasks was a listing's length, capped at the listing's default
// limit of 1000 (issue 12, item 11): it must be a count.
describe('an agent given more than 1000 tasks at registration', () => {
  const TASKS = 1005;
  let daemon: Daemon;
  beforeAll(async () => {
    // Seeded through the store before colibrid starts (quicker than 1005 intakes over HTTP); the
    // daemon finds them parked: no agent has the tag yet.
    const home = mkdtempSync(join(tmpdir(), 'colibrid-count-'));
    const store = await openStore({ driver: 'sqlite', path: join(home, 'colibri.db') });
    for (let i = 0; i < TASKS; i++)
      await store.intakeTask({ title: `bulk ${i}`, requiredCapabilities: ['bulk'] });
    await store.close();
    daemon = await startDaemon({ home, args: ['--heartbeat-ttl', '1h'] });
  });
  afterAll(() => daemon.dispose());

  it('is told how many it holds, counted, not listed', async () => {
    expect((await daemon.operator.status()).tasks.parked).toBe(TASKS);
    const { agent } = await daemon.operator.registerAgent({
      name: 'bulk-1',
      capabilities: ['bulk'],
      slots: 2000,
    });
    expect((await daemon.operator.status()).tasks.assigned).toBe(TASKS);
    expect(agent.activeTasks).toBe(TASKS);
    const { agents } = await daemon.operator.listAgents();
    expect(agents.find((a) => a.id === agent.id)?.activeTasks).toBe(TASKS);
    // The tag-change reply counts the same way.
    const changed = await daemon.operator.updateCapabilities(agent.id, ['bulk', 'more']);
    expect(changed.agent.activeTasks).toBe(TASKS);
  });
});
