import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { watchForWrites } from './log-wake.js';

describe('watchForWrites', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'colibri-log-wake-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('ends a wait as soon as the file is written (the wait itself would outlast the test)', async () => {
    const log = join(dir, 'agent.log');
    await writeFile(log, '');
    const wake = watchForWrites(log);
    try {
      const waiting = wake.wait(3_600_000);
      await appendFile(log, '{"type":"registered"}\n');
      await expect(waiting).resolves.toBeUndefined();
      // And the next write ends the next wait.
      const again = wake.wait(3_600_000);
      await appendFile(log, '{"type":"heartbeat"}\n');
      await expect(again).resolves.toBeUndefined();
    } finally {
      wake.close();
    }
  });

  it('a file that cannot be watched leaves timed waits; close ends a pending one', async () => {
    const wake = watchForWrites(join(dir, 'absent.log'));
    await expect(wake.wait(5)).resolves.toBeUndefined();
    const pending = wake.wait(3_600_000);
    wake.close();
    await expect(pending).resolves.toBeUndefined();
  });
});
