import { fileURLToPath } from 'node:url';
import { ColibriError } from '@colibri/errors';
import { destroyJailedAgent, type ProvisionEnv, spawnJailedAgent } from '@colibri/join';
import {
  type AgentRuntime,
  createBastilleDriver,
  createLinuxDriver,
  type DaemonEndpoint,
  type JailDriver,
  locateColibriRuntime,
} from '@colibri/spawner';
import type { SpawnConfig } from '../config/resolve-spawn-config.js';
import type { Logger } from '../logger.js';
import { KeyedMutex } from './keyed-mutex.js';
import type { SpawnService } from './spawn-service.js';

/** What the real spawn service is built from; `main` resolves it once. */
export interface SpawnServiceDeps {
  readonly config: SpawnConfig;
  /** colibrid's own socket: a linux jail's agent reaches colibrid through it (proxied into the sandbox). */
  readonly socketPath: string;
  /** The `.env` writer (`createStoreProvisionEnv`). */
  readonly provision: ProvisionEnv;
  readonly logger: Logger;
  /** Overrides for tests: another driver or runtime. */
  readonly driver?: JailDriver;
  readonly runtime?: AgentRuntime;
}

/** The jail driver the configuration names. */
function createDriver(config: SpawnConfig, logger: Logger): JailDriver {
  const driverLogger = logger.child({ component: `${config.driver}-driver` });
  if (config.driver === 'linux')
    return createLinuxDriver({ jailRoot: config.jailRoot, logger: driverLogger });
  const bastille = config.bastille;
  if (bastille === undefined) {
    throw new ColibriError(
      'COLIBRI_INVALID_INPUT',
      '--spawn-driver bastille needs its --bastille-* settings',
    );
  }
  return createBastilleDriver({
    prefix: config.jailRoot,
    release: bastille.release,
    address: () => bastille.address,
    logger: driverLogger,
  });
}

/** The runtime bootstrapped into each jail: this installation (linux) or the pinned packages (bastille). */
function createRuntime(config: SpawnConfig): AgentRuntime {
  if (config.driver === 'linux') {
    // Without --spawn-runtime-dir: the installation colibrid runs from (dist/spawn → the package).
    return locateColibriRuntime({
      packageDir: fileURLToPath(new URL('../..', import.meta.url)),
      runtimeDir: config.runtimeDir,
      runtimeDirFlag: '--spawn-runtime-dir',
    });
  }
  const packages = config.bastille?.packages ?? [];
  const colibri = packages.find((pkg) => pkg.name === 'colibri');
  if (colibri === undefined || config.runtimeDir === undefined) {
    throw new ColibriError(
      'COLIBRI_INVALID_INPUT',
      '--spawn-driver bastille needs --spawn-runtime-dir (the package cache) and --bastille-packages with colibri@VERSION',
    );
  }
  return Object.freeze({
    version: colibri.version,
    entry: '/usr/local/bin/colibri',
    packageCache: config.runtimeDir,
    packages,
  });
}

/**
 * colibrid's spawner: the configured jail driver, the runtime located once at start, the vault
 * `.env` writer and colibrid's own endpoint, around `spawnJailedAgent` / `destroyJailedAgent`.
 * One spawn or destroy at a time per jail (an in-process lock keyed by the tenant's jail): two
 * requests for one jail would both see it absent and race; different jails proceed side by side.
 * Several colibrid processes on one PostgreSQL do not share this lock: run spawns through one of
 * them per jail host (the driver's atomic name claim still refuses a second create).
 */
export function createSpawnService(deps: SpawnServiceDeps): SpawnService {
  const { config } = deps;
  const driver = deps.driver ?? createDriver(config, deps.logger);
  const runtime = deps.runtime ?? createRuntime(config);
  const daemon: DaemonEndpoint =
    config.driver === 'linux' || config.daemonUrl === undefined
      ? { socketPath: deps.socketPath }
      : { url: config.daemonUrl };
  const locks = new KeyedMutex();
  const jailOf = async (hive: Parameters<SpawnService['spawn']>[1], tenant: string) =>
    (await hive.getTenant(tenant)).jail;

  return {
    driver: driver.kind,

    async spawn(request, hive, onProgress) {
      const jail = await jailOf(hive, request.tenant);
      return locks.run(jail, () =>
        spawnJailedAgent({
          driver,
          hive,
          provision: deps.provision,
          runtime,
          daemon,
          request: {
            agentName: request.agentName,
            tenant: request.tenant,
            capabilities: request.capabilities,
            ...(config.handlersDir === undefined ? {} : { handlersDir: config.handlersDir }),
          },
          ...(onProgress === undefined ? {} : { onProgress }),
        }),
      );
    },

    async destroy(request, hive, onProgress) {
      const jail = await jailOf(hive, request.tenant);
      return locks.run(jail, () =>
        destroyJailedAgent({
          driver,
          hive,
          agentName: request.agentName,
          tenant: request.tenant,
          ...(onProgress === undefined ? {} : { onProgress }),
        }),
      );
    },
  };
}
