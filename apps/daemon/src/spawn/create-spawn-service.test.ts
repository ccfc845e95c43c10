import { ColibriError, isColibriError } from '@colibri/errors';
import type { HivePort } from '@colibri/join';
import type { JailDriver, PreflightReport } from '@colibri/spawner';
import { describe, expect, it } from 'vitest';
import type { SpawnConfig } from '../config/resolve-spawn-config.js';
import { createLogger } from '../logger.js';
import { createSpawnService } from './create-spawn-service.js';

const LINUX: SpawnConfig = {
  driver: 'linux',
  jailRoot: '/var/lib/colibri/jails',
  runtimeDir: undefined,
  handlersDir: undefined,
  daemonUrl: undefined,
  vault: { kind: 'none' },
  bastille: undefined,
};
const logger = createLogger('silent');
const FAILING: PreflightReport = {
  ok: false,
  checks: [{ name: 'root', ok: false, detail: 'test' }],
  facts: {},
};

/** A driver whose preflight waits for `release` and then fails: the chain stops there, having touched nothing. */
function blockingDriver() {
  let active = 0;
  let peak = 0;
  const started: string[] = [];
  const waiting: (() => void)[] = [];
  const refuse = async (): Promise<never> => {
    throw new ColibriError('COLIBRI_INTERNAL', 'not reached in this test');
  };
  const driver: JailDriver = {
    kind: 'linux',
    async preflight() {
      active += 1;
      peak = Math.max(peak, active);
      started.push(`preflight ${active}`);
      await new Promise<void>((resolve) => waiting.push(resolve));
      active -= 1;
      return FAILING;
    },
    inspect: async () => ({ exists: false }),
    create: refuse,
    bootstrap: refuse,
    startAgent: refuse,
    stopAgent: refuse,
    destroy: refuse,
    agentLogPath: (name) => `/tmp/${name}.log`,
    launchSettings: (launch, runtime) => ({
      capabilities: launch.capabilities,
      handlersDir: launch.handlersDir ?? null,
      network: 'none',
      runtime: runtime.root ?? runtime.entry,
    }),
  };
  return {
    driver,
    peak: () => peak,
    started,
    async releaseAll(expected: number) {
      for (let released = 0; released < expected; ) {
        const next = waiting.shift();
        if (next === undefined) {
          await new Promise((resolve) => setTimeout(resolve, 5));
          continue;
        }
        next();
        released += 1;
      }
    },
  };
}

const hive: HivePort = {
  getTenant: async (tenant) => ({
    tenant,
    jail: `${tenant}-jail`,
    collection: null,
    collectionId: null,
    status: 'pending',
  }),
  findAgent: async () => undefined,
  createJoinToken: async () => {
    throw new Error('not reached');
  },
  revokeJoinToken: async () => {},
  retireAgent: async () => {},
  setTenantStatus: async () => {},
};

const request = (tenant: string) => ({
  agentName: `${tenant}-agent`,
  tenant,
  capabilities: null,
  lineage: { spawnedBy: null, spawnDepth: 0 },
});

describe('createSpawnService', () => {
  it('runs one spawn at a time per jail, different jails side by side', async () => {
    const fake = blockingDriver();
    const service = createSpawnService({
      config: LINUX,
      socketPath: '/run/colibri.sock',
      provision: async () => {
        throw new Error('not reached');
      },
      logger,
      driver: fake.driver,
      runtime: { version: '0.0.0', root: '/opt/colibri', entry: '/opt/colibri/bin/run.js' },
    });
    expect(service.driver).toBe('linux');
    // Settled at once into their errors, so no rejection goes unhandled while the test releases them.
    const outcome = (run: Promise<unknown>) =>
      run.then(
        () => undefined,
        (error: unknown) => error,
      );
    const runs = [
      outcome(service.spawn(request('acme'), hive)),
      outcome(service.spawn(request('acme'), hive)),
      outcome(service.spawn(request('globex'), hive)),
    ];
    await fake.releaseAll(3);
    for (const error of await Promise.all(runs)) {
      expect(isColibriError(error, 'COLIBRI_PREFLIGHT_FAILED')).toBe(true);
    }
    // Without the lock all three would be in preflight at once: acme's two never overlapped,
    // while globex's ran alongside acme's first.
    expect(fake.peak()).toBe(2);
    expect(fake.started).toHaveLength(3);
  });

  it('builds the configured drivers and runtimes without touching anything', () => {
    const provision = async () => {
      throw new Error('not reached');
    };
    const linux = createSpawnService({ config: LINUX, socketPath: '/run/colibri.sock', provision, logger });
    expect(linux.driver).toBe('linux');
    const bastille = createSpawnService({
      config: {
        ...LINUX,
        driver: 'bastille',
        jailRoot: '/usr/local/bastille',
        runtimeDir: '/var/cache/colibri/pkg',
        daemonUrl: 'http://100.64.0.1:9190',
        bastille: {
          release: '14.3-RELEASE',
          address: 'inherit',
          packages: [{ name: 'colibri', version: '0.1.0' }],
        },
      },
      socketPath: '/run/colibri.sock',
      provision,
      logger,
    });
    expect(bastille.driver).toBe('bastille');
  });
});
