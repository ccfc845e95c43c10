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
import {
  type BwCollection,
  type BwStatus,
  bwCollectionListSchema,
  bwItemListSchema,
  bwStatusSchema,
} from './bw-schemas.js';
import { resolveCollection } from './resolve-collection.js';
import { tenantVariables } from './tenant-variables.js';

const DEFAULT_LOCK_WAIT_MS = 300_000;
const DEFAULT_COMMAND_TIMEOUT_MS = 120_000;
/** The variable `bw unlock --passwordenv` reads the master password from. */
const PASSWORD_VAR = 'BW_PASSWORD';
/** Our cross-process lock, inside the appdata dir (bw's own lock is data.json.lock). */
const LOCK_NAME = 'colibri.lock';
/** bw's words when it could not talk to the server at all (vs. refused credentials). */
const NETWORK_ERROR =
  /FetchError|ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EAI_AGAIN|ECONNRESET|certificate|self[- ]signed/i;
/** A session key is base64; anything else on stdout is not one. */
const SESSION_KEY = /^[A-Za-z0-9+/=_-]{16,}$/;

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
 * per appdata dir): check the CLI version (once per source), check `bw status` reports the
 * configured server (configure it only when unset and logged out; a different server fails
 * closed), log in with the API key when logged out, unlock (session only in `BW_SESSION`), sync
 * (must succeed), list collections once, then per tenant resolve the collection by exact name
 * and list its items by `--collectionid` only; finally `bw lock`, success or failure.
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
      const durationMs = Math.round(performance.now() - started);
      logger?.info({ step: name, ok, durationMs }, `vault: bw ${name}`);
      onProgress?.({ kind: 'vault-step', step: name, ok, durationMs });
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

  /** Server-match, then login if needed. Never reconfigures a CLI that points elsewhere. */
  async function ensureLoggedIn(onProgress?: (event: ProgressEvent) => void): Promise<void> {
    let current = await status(onProgress);
    if (current.serverUrl === null) {
      if (current.status !== 'unauthenticated') {
        throw new ColibriError(
          'COLIBRI_VAULT_SERVER_MISMATCH',
          `bw in ${appDataDir} is logged in to the default Bitwarden cloud, not to ${serverUrl}; ` +
            `colibri never reconfigures it: run BITWARDENCLI_APPDATA_DIR=${appDataDir} bw logout, then provision again`,
          { appDataDir, expected: serverUrl },
        );
      }
      await step('configure', onProgress, () =>
        bw.runOk(['config', 'server', serverUrl], {}, 'COLIBRI_VAULT_CLI_FAILED'),
      );
      current = await status(onProgress);
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

  async function unlock(onProgress?: (event: ProgressEvent) => void): Promise<string> {
    const args = ['unlock', '--passwordenv', PASSWORD_VAR, '--raw'];
    const result = await step('unlock', onProgress, async () => {
      const result = await bw.run(args, { [PASSWORD_VAR]: credentials.masterPassword });
      const key = result.stdout.trim();
      if (result.exitCode !== 0 || key === '' || result.timedOut === true) {
        throw bw.failure(
          args,
          result,
          'COLIBRI_VAULT_UNLOCK_FAILED',
          "; check BW_PASSWORD (the service-account user's master password)",
        );
      }
      if (!SESSION_KEY.test(key)) {
        throw new ColibriError(
          'COLIBRI_VAULT_UNLOCK_FAILED',
          'bw unlock --raw printed something that is not a session key; is the pinned bw version in use?',
          {},
        );
      }
      return key;
    });
    return result;
  }

  async function lock(onProgress?: (event: ProgressEvent) => void): Promise<void> {
    try {
      await step('lock', onProgress, async () => {
        const result = await bw.run(['lock']);
        if (result.exitCode !== 0) throw bw.failure(['lock'], result, 'COLIBRI_VAULT_CLI_FAILED');
      });
    } catch (error) {
      // The session key is forgotten either way; a vault left unlocked on disk still needs it.
      logger?.warn({ appDataDir, error: scrub(String((error as Error).message)) }, 'vault: bw lock failed');
    }
  }

  /** Everything under the queue, the lock file and an unlocked vault; locks again at the end. */
  async function withUnlockedVault(
    onProgress: ((event: ProgressEvent) => void) | undefined,
    work: (sessionKey: string) => Promise<void>,
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
        await checkVersion(onProgress);
        await ensureLoggedIn(onProgress);
        try {
          session = await unlock(onProgress);
          await work(session);
        } finally {
          // Also after a failed unlock: a vault a crashed run left unlocked gets locked too.
          await lock(onProgress);
          session = undefined;
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
    sessionKey: string,
    collections: readonly BwCollection[],
  ): Promise<FetchOutcome> {
    const resolution = resolveCollection(collections, request);
    if (resolution.kind === 'no-bucket') return { kind: 'no-bucket' } as const;
    const { id } = resolution.collection;
    const args = ['list', 'items', '--collectionid', id];
    const stdout = await bw.runOk(args, { BW_SESSION: sessionKey }, 'COLIBRI_VAULT_CLI_FAILED');
    const items = bw.parse(args, stdout, bwItemListSchema);
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
        await withUnlockedVault(onProgress, async (sessionKey) => {
          await step('sync', onProgress, () =>
            bw.runOk(
              ['sync'],
              { BW_SESSION: sessionKey },
              'COLIBRI_VAULT_SYNC_FAILED',
              '; is the vault server reachable?',
            ),
          );
          const collections = await step('collections', onProgress, async () =>
            bw.parse(
              ['list', 'collections'],
              await bw.runOk(['list', 'collections'], { BW_SESSION: sessionKey }, 'COLIBRI_VAULT_CLI_FAILED'),
              bwCollectionListSchema,
            ),
          );
          for (const request of pending) {
            const started = performance.now();
            let outcome: FetchOutcome;
            try {
              outcome = await fetchTenant(request, sessionKey, collections);
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
