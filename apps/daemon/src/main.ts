#!/usr/bin/env node
// colibrid's entry point: the only file that reads argv, the environment and signals, sets the
// umask and exits. Everything else is built from the configuration resolved here, once.
// First: keep V8's young generation small before the other modules load (see the module).
import './process/young-generation-first.js';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { ColibriError, errorKind, isColibriError } from '@colibri/errors';
import { colibriPaths } from '@colibri/protocol';
import { closeInheritedDescriptors } from '@colibri/spawner';
import { openStore, type Store } from '@colibri/store';
import { createSecretSource } from '@colibri/vault';
import { formatEffectiveConfig } from './config/format-effective-config.js';
import { loadSpawnPolicy } from './config/load-spawn-policy.js';
import { HELP, resolveConfig } from './config/resolve-config.js';
import { prepareHome } from './home/prepare-home.js';
import { createLogger, type Logger } from './logger.js';
import { type ColibriServer, createServer } from './server/create-server.js';
import { createSpawnService } from './spawn/create-spawn-service.js';
import type { SpawnService } from './spawn/spawn-service.js';
import { createStoreProvisionEnv } from './spawn/store-provision-env.js';

/**
 * The vault's bootstrap credential is read once (by resolveConfig) and then dropped from this
 * process's environment, so no child colibrid starts (a jail keeper, bw, a driver's tools)
 * inherits it; the vault library hands it to bw explicitly.
 */
const VAULT_CREDENTIALS = ['BW_CLIENTID', 'BW_CLIENTSECRET', 'BW_PASSWORD', 'BW_SESSION'] as const;

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** Node's IPC channel descriptor when this process was forked with one (kept open). */
function nodeIpcDescriptor(): number[] {
  const fd = (process.channel as { fd?: unknown } | undefined)?.fd ?? Number(process.env.NODE_CHANNEL_FD);
  return typeof fd === 'number' && Number.isInteger(fd) && fd >= 0 ? [fd] : [];
}

function fail(error: unknown, logger?: Logger): never {
  const message = isColibriError(error) ? error.message : (error as Error)?.message || String(error);
  logger?.fatal({ err: error }, 'colibrid cannot start');
  process.stderr.write(`colibrid: ${message.split('\n')[0]}\n`);
  // 2 = a usage problem the operator can fix by changing flags; 1 = anything else.
  process.exit(isColibriError(error) && errorKind((error as ColibriError).code) === 'invalid-input' ? 2 : 1);
}

async function main(): Promise<void> {
  let invocation: ReturnType<typeof resolveConfig>;
  try {
    invocation = resolveConfig(process.argv.slice(2), {
      env: process.env,
      platform: process.platform,
      uid: typeof process.getuid === 'function' ? process.getuid() : -1,
      homedir: homedir(),
      cwd: process.cwd(),
      readTextFile: (path) => {
        try {
          return readFileSync(path, 'utf8');
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
          throw new ColibriError(
            'COLIBRI_INVALID_INPUT',
            `${path}: cannot read the config file: ${(error as Error).message}`,
            { file: path },
          );
        }
      },
    });
  } catch (error) {
    fail(error);
  }
  if (invocation.kind === 'print-config') {
    process.stdout.write(formatEffectiveConfig(invocation.config, invocation.file, invocation.origins));
    return;
  }
  if (invocation.kind === 'version') {
    process.stdout.write(`colibrid ${version}\n`);
    return;
  }
  if (invocation.kind === 'help') {
    process.stdout.write(HELP);
    return;
  }
  const { config } = invocation;
  for (const name of VAULT_CREDENTIALS) delete process.env[name];
  // A descriptor colibrid inherited without close-on-exec (an operator's `exec 30<file`, a pipe
  // end, a `flock 200` lock) would reach every child it starts: bw, the jail tools, preflight's
  // trial sandboxes. Only Node's own IPC channel, when colibrid was forked with one, stays.
  const closedDescriptors = closeInheritedDescriptors(nodeIpcDescriptor());
  // Everything colibrid creates (home, token, database, socket before its chmod) is private.
  process.umask(0o077);
  const logger = createLogger(config.logLevel);
  if (closedDescriptors.length > 0) {
    logger.info({ fds: closedDescriptors }, 'closed descriptors inherited from the parent process');
  }

  // Resources are released in the reverse order of their creation.
  const cleanups: (() => Promise<void>)[] = [];
  const release = async () => {
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((error: unknown) => logger.error({ err: error }, 'cleanup failed'));
    }
    cleanups.length = 0;
  };

  let server: ColibriServer;
  try {
    const home = prepareHome(config.home, colibriPaths(config.home).operatorToken);
    if (home.createdToken) {
      logger.info(
        { path: colibriPaths(config.home).operatorToken },
        'created the operator token (mode 0600)',
      );
    }
    for (const warning of home.warnings) logger.warn(warning);
    const spawnPolicy = await loadSpawnPolicy(config.spawnPolicyFile);
    const store: Store = await openStore(config.store);
    cleanups.push(() => store.close());
    let spawner: SpawnService | undefined;
    if (config.spawn !== undefined) {
      spawner = createSpawnService({
        config: config.spawn,
        socketPath: config.socketPath,
        provision: createStoreProvisionEnv({
          store,
          source: createSecretSource(config.spawn.vault, { logger: logger.child({ component: 'vault' }) }),
          clock: () => new Date(),
        }),
        logger,
      });
    }
    logger.info(
      {
        spawner: config.spawn === undefined ? 'none' : config.spawn.driver,
        ...(config.spawn === undefined
          ? {}
          : { jailRoot: config.spawn.jailRoot, vault: config.spawn.vault.kind }),
        spawnPolicy: config.spawnPolicyFile ?? 'default (every agent refused)',
        ...spawnPolicy,
      },
      'spawning configured',
    );
    server = createServer({
      store,
      logger,
      operatorToken: home.operatorToken,
      version,
      timing: config.timing,
      taskDefaults: config.taskDefaults,
      ...(spawner === undefined ? {} : { spawner }),
      spawnPolicy,
      mcpAllowedHosts: config.mcpAllowedHosts,
      expireAfterMs: config.expireAfterMs,
      retainMs: config.retainMs,
    });
    cleanups.push(() => server.close());
    await server.listen({ socketPath: config.socketPath, tcp: config.listen });
  } catch (error) {
    await release();
    fail(error, logger);
  }

  let signals = 0;
  const stop = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    logger.info({ signal }, 'stopping: finishing in-flight requests (send the signal again to force)');
    release().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

await main();
