import { describe, expect, it } from 'vitest';
import { formatStatus } from './format-status.js';

describe('formatStatus', () => {
  it('names the daemon, its version, driver and counts', () => {
    expect(
      formatStatus(
        {
          version: '0.1.0',
          driver: 'sqlite',
          uptimeSeconds: 75,
          agents: { idle: 2, active: 1, offline: 0 },
          tasks: { parked: 1, assigned: 0, running: 1, done: 3, failed: 0, cancelled: 0, expired: 0 },
        },
        'unix socket /h/colibri.sock',
      ).split('\n'),
    ).toEqual([
      'daemon  colibrid 0.1.0 at unix socket /h/colibri.sock, up 1m 15s',
      'store   sqlite',
      'agents  idle 2, active 1, offline 0',
      'tasks   parked 1, assigned 0, running 1, done 3, failed 0, cancelled 0, expired 0',
    ]);
  });
});
