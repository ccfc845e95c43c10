import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { ColibriError, isColibriError } from '@colibri/errors';
import { parseTenantName } from '@colibri/protocol';
import { createExecaRunner } from '../command-runner.js';
import { PINNED_BW_VERSION } from '../pinned-bw-version.js';
import { scrubSecrets } from '../scrub-secrets.js';
import type {
  FetchOutcome,
  ProgressEvent,
  SecretSource,
  TenantSecretRequest,
  VaultLogger,
  VaultStep,
} from '../secret-source.js';
import { acquireCrossProcessLock } from '../serialize/cross-process-lock.js';
import { ensurePrivateDirectory } from '../serialize/private-directory.js';
import { sharedSerialQueue } from '../serialize/serial-queue.js';
import {
  type BitwardenSourceOptions,
  normalizeServerUrl,
  parseBitwardenSourceOptions,
} from './bitwarden-source-options.js';
import { BwCli } from './bw-cli.js';
import { type BwCollection, type BwStatus, bwStatusSchema } from './bw-schemas.js';
import { BwServe, BwServeEnded, SERVE_ARGS } from './bw-serve.js';
import { resolveCollection } from './resolve-collection.js';
import { tenantVariables } from './tenant-variables.js';

const DEFAULT_LOCK_WAIT_MS = 300_000;
const DEFAULT_COMMAND_TIMEOUT_MS = 120_000;
/** Our cross-process lock, inside the appdata dir (bw's own lock is data.json.lock). */
const LOCK_NAME = 'colibri.lock';
/** bw's words when it could not talk to the server at all (vs. refused credentials). */
const NETWORK_ERROR =
  /FetchError|ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EAI_AGAIN|ECONNRESET|certificate|self[- ]signed/i;
/** A session key is base64; anything else is not one. */
const SESSION_KEY = /^[A-Za-z0-9+/=_-]{16,}$/;
const PASSWORD_HINT = "; check BW_PASSWORD (the service-account user's master password)";
const SYNC_HINT = '; is the vault server reachable?';

type PendingRequest = TenantSecretRequest & { readonly collectionName: string };

function failed(error: unknown, scrub: (text: string) => string): FetchOutcome {
  if (isColibriError(error)) return { kind: 'failed', error };
  const message = scrub(error instanceof Error ? error.message : String(error));
  return {
    kind: 'failed',
    error: new ColibriError('COLIBRI_VAULT_CLI_FAILED', `vault operation failed: ${message}`, {}),
  };
}

function defaultBwEntry(): string {
  try {
    return createRequire(import.meta.url).resolve('@bitwarden/cli/build/bw.js');
  } catch {
    throw new ColibriError(
      'COLIBRI_VAULT_CLI_FAILED',
      `the pinned Bitwarden CLI (@bitwarden/cli ${PINNED_BW_VERSION}) is not installed beside @colibri/vault; reinstall colibri`,
      {},
    );
  }
}

/** The user id a personal API key belongs to (`user.<uuid>` → `<uuid>`), if it has that form. */
function apiKeyUserId(clientId: string): string | undefined {
  return /^user\.([0-9a-f-]{36})$/i.exec(clientId)?.[1]?.toLowerCase();
}

/**
 * The Bitwarden/Vaultwarden secret source: runs the pinned `bw` CLI, one batch at a time.
 *
 * Per batch, under an in-process queue AND a cross-process lock file (bw keeps one session slot
 * per appdata dir): start ONE `bw serve --hostname fd+connected://3` process on a socket pair only
 * this process holds (no listening socket), check `bw --version` beside it (once per source), check
 * its status reports the configured server and user, unlock with the master password in the
 * request body, sync (must succeed), list collections once, then per tenant resolve the collection
 * by exact name and list its items by collection id only; finally lock (success or failure) and
 * end the serve process. A logged-out appdata dir is first configured and logged in through the
 * per-command path (`bw status`, `bw config server`, `bw login --apikey`): bw serve refuses to run
 * logged out and has no login route.
 *
 * Throws `COLIBRI_INVALID_INPUT` for bad options (naming the field, never a value); at run time
 * every failure is a `failed` outcome.
 */
export function createBitwardenSource(input: BitwardenSourceOptions): SecretSource {
  const options = parseBitwardenSourceOptions(input);
  const { serverUrl, credentials } = options;
  const appDataDir = resolve(options.appDataDir);
  const lockWaitMs = options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS;
  const logger: VaultLogger | undefined = options.logger;
  const nodePath = process.execPath;
  let session: string | undefined;
  const secrets = () => [credentials.clientId, credentials.clientSecret, credentials.masterPassword, session];
  const scrub = (text: string) => scrubSecrets(text, secrets());
  const bw = new BwCli({
    runner: options.runner ?? createExecaRunner(),
    nodePath,
    bwEntry: options.bwEntry ?? defaultBwEntry(),
    appDataDir,
    extraEnv: options.extraEnv ?? {},
    timeoutMs: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    secrets,
  });
  const queue = sharedSerialQueue(appDataDir);
  let versionChecked = false;

  function report(
    name: VaultStep,
    ok: boolean,
    started: number,
    onProgress: ((event: ProgressEvent) => void) | undefined,
  ): void {
    const durationMs = Math.round(performance.now() - started);
    logger?.info({ step: name, ok, durationMs }, `vault: bw ${name}`);
    onProgress?.({ kind: 'vault-step', step: name, ok, durationMs });
  }

  async function step<T>(
    name: VaultStep,
    onProgress: ((event: ProgressEvent) => void) | undefined,
    action: () => Promise<T>,
  ): Promise<T> {
    const started = performance.now();
    let ok = false;
    try {
      const result = await action();
      ok = true;
      return result;
    } finally {
      report(name, ok, started, onProgress);
    }
  }

  async function checkVersion(onProgress?: (event: ProgressEvent) => void): Promise<void> {
    if (versionChecked) return;
    const version = await step('version', onProgress, () =>
      bw.runOk(['--version'], {}, 'COLIBRI_VAULT_CLI_FAILED'),
    );
    if (version !== PINNED_BW_VERSION) {
      throw new ColibriError(
        'COLIBRI_VAULT_CLI_FAILED',
        `bw reports version ${JSON.stringify(version.slice(0, 40))}, but colibri is pinned to ${PINNED_BW_VERSION} ` +
          '(newer CLIs expect server routes the vault may lack); reinstall colibri',
        { expected: PINNED_BW_VERSION },
      );
    }
    versionChecked = true;
  }

  async function status(onProgress?: (event: ProgressEvent) => void): Promise<BwStatus> {
    const stdout = await step('status', onProgress, () =>
      bw.runOk(['status'], {}, 'COLIBRI_VAULT_CLI_FAILED'),
    );
    return bw.parse(['status'], stdout, bwStatusSchema);
  }

  function sameServer(reported: string): boolean {
    try {
      return normalizeServerUrl(reported) === serverUrl;
    } catch {
      return false;
    }
  }

  /** The reported server must be the configured one; colibri never reconfigures silently. */
  function checkServer(current: BwStatus): void {
    if (current.serverUrl === null && current.status !== 'unauthenticated') {
      throw new ColibriError(
        'COLIBRI_VAULT_SERVER_MISMATCH',
        `bw in ${appDataDir} is logged in to the default Bitwarden cloud, not to ${serverUrl}; ` +
          `colibri never reconfigures it: run BITWARDENCLI_APPDATA_DIR=${appDataDir} bw logout, then provision again`,
        { appDataDir, expected: serverUrl },
      );
    }
    if (current.serverUrl === null || !sameServer(current.serverUrl)) {
      throw new ColibriError(
        'COLIBRI_VAULT_SERVER_MISMATCH',
        `bw in ${appDataDir} is configured for ${JSON.stringify(current.serverUrl)}, but colibri is configured ` +
          `for ${serverUrl}; colibri never reconfigures it silently: fix the configured server, or, if ` +
          `${serverUrl} is right, run BITWARDENCLI_APPDATA_DIR=${appDataDir} bw logout and provision again`,
        { appDataDir, expected: serverUrl, reported: current.serverUrl },
      );
    }
  }

  /** A CLI logged in as another user than the API key's is refused. */
  function checkUser(current: BwStatus): void {
    const expectedUser = apiKeyUserId(credentials.clientId);
    const actualUser = current.userId?.toLowerCase();
    if (expectedUser !== undefined && actualUser !== undefined && actualUser !== expectedUser) {
      throw new ColibriError(
        'COLIBRI_VAULT_LOGIN_FAILED',
        `bw in ${appDataDir} is logged in as ${current.userEmail ?? 'another user'}, not as the user BW_CLIENTID ` +
          `belongs to; run BITWARDENCLI_APPDATA_DIR=${appDataDir} bw logout and provision again`,
        { appDataDir },
      );
    }
  }

  /**
   * The per-command path, for an appdata dir that is logged out (bw serve refuses to start then,
   * and has no login route): `bw status`, server match (configure it only when unset), `bw login
   * --apikey` with the API key in that one child's environment.
   */
  async function logIn(onProgress?: (event: ProgressEvent) => void): Promise<void> {
    let current = await status(onProgress);
    if (current.serverUrl === null && current.status === 'unauthenticated') {
      await step('configure', onProgress, () =>
        bw.runOk(['config', 'server', serverUrl], {}, 'COLIBRI_VAULT_CLI_FAILED'),
      );
      current = await status(onProgress);
    }
    checkServer(current);
    if (current.status === 'unauthenticated') {
      await step('login', onProgress, async () => {
        const args = ['login', '--apikey'];
        const result = await bw.run(args, {
          BW_CLIENTID: credentials.clientId,
          BW_CLIENTSECRET: credentials.clientSecret,
        });
        if (result.exitCode === 0 && result.timedOut !== true && result.stdout.trim() !== '') return;
        const hint = NETWORK_ERROR.test(result.stderr)
          ? `; is ${serverUrl} reachable, and its certificate trusted (NODE_EXTRA_CA_CERTS)?`
          : "; check BW_CLIENTID and BW_CLIENTSECRET (the service-account user's personal API key)";
        throw bw.failure(args, result, 'COLIBRI_VAULT_LOGIN_FAILED', hint);
      });
      current = await status(onProgress);
      if (current.status === 'unauthenticated') {
        throw new ColibriError(
          'COLIBRI_VAULT_LOGIN_FAILED',
          `bw login --apikey reported success but bw in ${appDataDir} is still logged out`,
          { appDataDir },
        );
      }
    }
    checkUser(current);
  }

  /** `POST /unlock` with the master password in the body; a missing session key is a failure too. */
  async function unlock(serve: BwServe, onProgress?: (event: ProgressEvent) => void): Promise<void> {
    await step('unlock', onProgress, async () => {
      const key = await serve.unlock(credentials.masterPassword, PASSWORD_HINT);
      if (key === undefined || !SESSION_KEY.test(key)) {
        throw new ColibriError(
          'COLIBRI_VAULT_UNLOCK_FAILED',
          'bw unlock answered without a session key; is the pinned bw version in use?',
          {},
        );
      }
      session = key;
    });
  }

  /**
   * `POST /lock`; when the serve process cannot answer (it died), the per-command `bw lock`
   * instead, so a vault it left unlocked on disk is locked too. A failed lock is logged.
   */
  async function lock(serve: BwServe, onProgress?: (event: ProgressEvent) => void): Promise<void> {
    try {
      await step('lock', onProgress, async () => {
        try {
          await serve.lock();
        } catch (error) {
          logger?.warn(
            { appDataDir, error: scrub(String((error as Error).message)) },
            'vault: bw serve lock failed',
          );
          const result = await bw.run(['lock']);
          if (result.exitCode !== 0) throw bw.failure(['lock'], result, 'COLIBRI_VAULT_CLI_FAILED');
        }
      });
    } catch (error) {
      // The session key is forgotten either way; a vault left unlocked on disk still needs it.
      logger?.warn({ appDataDir, error: scrub(String((error as Error).message)) }, 'vault: bw lock failed');
    }
  }

  /**
   * Waits for the serve process's `GET /status` (its boot, ~2.5 s, is most of it): the `serve`
   * step. A serve process that ended because the appdata dir is logged out is `logged-out` when
   * `loggedOutIsExpected`, without a progress event (the per-command steps follow).
   */
  async function serveStatus(
    answer: Promise<BwStatus>,
    started: number,
    loggedOutIsExpected: boolean,
    onProgress?: (event: ProgressEvent) => void,
  ): Promise<BwStatus | 'logged-out'> {
    try {
      const current = await answer;
      report('serve', true, started, onProgress);
      return current;
    } catch (error) {
      if (loggedOutIsExpected && error instanceof BwServeEnded && error.notLoggedIn) return 'logged-out';
      report('serve', false, started, onProgress);
      if (error instanceof BwServeEnded) {
        throw bw.failure([...SERVE_ARGS], error.result, 'COLIBRI_VAULT_CLI_FAILED');
      }
      throw error;
    }
  }

  /**
   * Starts `bw serve` (it boots while `bw --version` runs beside it) and checks its status (server,
   * user). A logged-out appdata dir (bw serve refuses to run then) is first logged in through the
   * per-command path, then a new serve process starts.
   */
  async function startServe(onProgress?: (event: ProgressEvent) => void): Promise<BwServe> {
    let started = performance.now();
    let serve = new BwServe(bw.serve(), bw);
    try {
      const first = serve.status();
      first.catch(() => undefined); // awaited below; the version check may fail first
      await checkVersion(onProgress);
      let current = await serveStatus(first, started, true, onProgress);
      if (current === 'logged-out') {
        await logIn(onProgress);
        started = performance.now();
        serve = new BwServe(bw.serve(), bw);
        current = await serveStatus(serve.status(), started, false, onProgress);
      }
      if (current === 'logged-out' || current.status === 'unauthenticated') {
        throw new ColibriError('COLIBRI_VAULT_LOGIN_FAILED', `bw in ${appDataDir} is logged out`, {
          appDataDir,
        });
      }
      checkServer(current);
      checkUser(current);
      return serve;
    } catch (error) {
      await serve.stop();
      throw error;
    }
  }

  /** Everything under the queue, the lock file and an unlocked vault; locks again at the end. */
  async function withUnlockedVault(
    onProgress: ((event: ProgressEvent) => void) | undefined,
    work: (serve: BwServe) => Promise<void>,
  ): Promise<void> {
    const started = performance.now();
    await ensurePrivateDirectory(appDataDir, 'the bw appdata dir');
    const override = join(dirname(nodePath), 'bw-data');
    if (existsSync(override)) {
      throw new ColibriError(
        'COLIBRI_UNSAFE_PATH',
        `${override} exists: bw would keep its state there instead of in ${appDataDir}; remove it`,
        { path: override },
      );
    }
    const endTurn = await queue.acquire(lockWaitMs);
    try {
      const releaseLock = await acquireCrossProcessLock({
        directory: appDataDir,
        lockPath: join(appDataDir, LOCK_NAME),
        waitMs: Math.max(1, lockWaitMs - (performance.now() - started)),
        onCompromised: (error) =>
          logger?.warn({ appDataDir, error: error.message }, 'vault: the cross-process lock was taken over'),
      });
      try {
        const serve = await startServe(onProgress);
        try {
          await unlock(serve, onProgress);
          await work(serve);
        } finally {
          // Also after a failed unlock: a vault a crashed run left unlocked gets locked too.
          await lock(serve, onProgress);
          session = undefined;
          await serve.stop();
        }
      } finally {
        await releaseLock().catch((error: Error) =>
          logger?.warn({ appDataDir, error: error.message }, 'vault: releasing the lock failed'),
        );
      }
    } finally {
      endTurn();
    }
  }

  async function fetchTenant(
    request: PendingRequest,
    serve: BwServe,
    collections: readonly BwCollection[],
  ): Promise<FetchOutcome> {
    const resolution = resolveCollection(collections, request);
    if (resolution.kind === 'no-bucket') return { kind: 'no-bucket' } as const;
    const { id } = resolution.collection;
    const items = await serve.items(id);
    return {
      kind: 'secrets',
      collectionId: id,
      variables: tenantVariables(items, id, request.tenantId),
    } as const;
  }

  return {
    kind: 'bitwarden',
    async fetchMany(requests, onProgress) {
      const outcomes = new Map<string, FetchOutcome>();
      const pending: PendingRequest[] = [];
      for (const request of requests) {
        const tenantId = String(request.tenantId);
        if (outcomes.has(tenantId) || pending.some((p) => p.tenantId === tenantId)) continue;
        try {
          parseTenantName(request.tenantId);
        } catch (error) {
          outcomes.set(tenantId, failed(error, scrub));
          continue;
        }
        if (request.collectionName === null) {
          outcomes.set(tenantId, { kind: 'no-bucket' });
        } else if (typeof request.collectionName !== 'string' || request.collectionName === '') {
          outcomes.set(tenantId, {
            kind: 'failed',
            error: new ColibriError(
              'COLIBRI_INVALID_INPUT',
              `tenant ${tenantId}: the collection name must be a non-empty string or null`,
              { tenant: tenantId },
            ),
          });
        } else {
          pending.push(request as PendingRequest);
        }
      }
      if (pending.length === 0) return outcomes;

      try {
        await withUnlockedVault(onProgress, async (serve) => {
          await step('sync', onProgress, () => serve.sync(SYNC_HINT));
          const collections = await step('collections', onProgress, () => serve.collections());
          for (const request of pending) {
            const started = performance.now();
            let outcome: FetchOutcome;
            try {
              outcome = await fetchTenant(request, serve, collections);
            } catch (error) {
              outcome = failed(error, scrub);
            }
            outcomes.set(request.tenantId, outcome);
            const durationMs = Math.round(performance.now() - started);
            logger?.info(
              { tenant: request.tenantId, outcome: outcome.kind, durationMs },
              'vault: tenant fetched',
            );
            onProgress?.({
              kind: 'tenant-fetched',
              tenantId: request.tenantId,
              outcome: outcome.kind,
              durationMs,
            });
          }
        });
      } catch (error) {
        const outcome = failed(error, scrub);
        for (const request of pending) {
          if (!outcomes.has(request.tenantId)) outcomes.set(request.tenantId, outcome);
        }
      }
      return outcomes;
    },
  };
}
