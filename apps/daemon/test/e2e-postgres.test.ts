import { afterEach, describe, expect, inject, it } from 'vitest';
import { type Daemon, startDaemon } from './daemon-harness.js';
import { runLifecycle } from './lifecycle.js';

describe('colibrid end to end on PostgreSQL', () => {
  let daemon: Daemon | undefined;
  afterEach(() => daemon?.dispose());

  it('runs the same lifecycle with --database-url', async () => {
    daemon = await startDaemon({ args: ['--database-url', inject('postgresDatabaseUrl')] });
    expect((await daemon.operator.status()).driver).toBe('postgres');
    await runLifecycle(daemon);
  });
});
