import { describe, expect, it } from 'vitest';
import { type RunAgentOptions, resolveRunAgentOptions } from './run-agent-options.js';
import type { TokenStore } from './token-store.js';

const tokenStore: TokenStore = {
  describe: '/state/agent.json',
  load: async () => undefined,
  save: async () => {},
};
const base: RunAgentOptions = {
  name: 'a1',
  tenant: null,
  capabilities: ['linux'],
  daemon: { socketPath: '/hive/colibri.sock' },
  tokenStore,
  handlersDir: '/srv/handlers',
  environment: { inherited: {}, variables: {} },
};

describe('resolveRunAgentOptions', () => {
  it('fills in the documented defaults', () => {
    expect(resolveRunAgentOptions(base)).toMatchObject({
      slots: 1,
      heartbeatMs: 10_000,
      pollWaitSeconds: 25,
      handlerTimeoutMs: 60_000,
      killGraceMs: 2000,
      maxOutputBytes: 1024 * 1024,
      stderrTailBytes: 4096,
      drainTimeoutMs: 30_000,
      handlerCwd: '/srv/handlers',
    });
  });

  it.each([
    [{ slots: 0 }, /slots must be a whole number from 1 to 10000, got 0/],
    [{ slots: 1.5 }, /slots must be a whole number/],
    [{ pollWaitSeconds: 61 }, /pollWaitSeconds must be a whole number from 1 to 60, got 61/],
    [{ heartbeatMs: Number.NaN }, /heartbeatMs must be a whole number/],
    [{ drainTimeoutMs: -1 }, /drainTimeoutMs must be a whole number from 0/],
    [{ handlersDir: 'handlers' }, /handlersDir must be an absolute path, got "handlers"/],
  ])('refuses %j, naming the option and its range', (override, message) => {
    expect(() => resolveRunAgentOptions({ ...base, ...override })).toThrow(message);
  });
});
