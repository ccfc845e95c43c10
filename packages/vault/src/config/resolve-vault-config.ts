import { isAbsolute, join, resolve } from 'node:path';
import { ColibriError } from '@colibri/errors';

/**
 * Where the tenants' secrets come from, resolved once by an app (colibrid's spawn configuration,
 * `colibri provision-tenant`, `colibri spawn-agent`) and handed to {@link createSecretSource}.
 * The credentials come from the environment only, never from a flag (argv is world-readable).
 */
export type VaultConfig =
  /** Nothing configured (colibrid only): tenants without a collection need no vault. */
  | { readonly kind: 'none' }
  /** `<directory>/<tenant>.env` files (development, demos). */
  | { readonly kind: 'directory'; readonly directory: string }
  | {
      readonly kind: 'bitwarden';
      readonly serverUrl: string;
      /** bw's state directory, `<home>/bw` (shared by colibrid and the CLI; the vault locks it). */
      readonly appDataDir: string;
      readonly credentials: {
        readonly clientId: string;
        readonly clientSecret: string;
        readonly masterPassword: string;
      };
      /** NODE_EXTRA_CA_CERTS when set: a private CA for the vault server. */
      readonly extraEnv: Readonly<Record<string, string>>;
    };

/** The one flag name per vault setting, in every program (absent = undefined). */
export interface VaultFlags {
  /** `--source bitwarden|directory`; default: implied by the other two. */
  readonly source?: string | undefined;
  /** `--secrets-dir DIR` [env COLIBRI_SECRETS_DIR]. */
  readonly 'secrets-dir'?: string | undefined;
  /** `--vault-server URL` [env COLIBRI_VAULT_SERVER]. */
  readonly 'vault-server'?: string | undefined;
}

/** The vault flags' names, for a program's "this flag needs that one" checks. */
export const VAULT_FLAG_NAMES = ['source', 'secrets-dir', 'vault-server'] as const;

/** What resolution reads besides the flags; the app passes the real values. */
export interface VaultConfigSources {
  /** COLIBRI_SECRETS_DIR, COLIBRI_VAULT_SERVER, BW_CLIENTID, BW_CLIENTSECRET, BW_PASSWORD, NODE_EXTRA_CA_CERTS. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Relative paths (the directory, the CA file) are resolved against it. */
  readonly cwd: string;
  /** COLIBRI_HOME, absolute: bw's state lives in `<home>/bw`. */
  readonly home: string;
  /** The program whose environment holds the credentials, for messages (`colibrid`, `colibri`). */
  readonly program: string;
  /** true: no source configured is an error (the CLI provisions); false: it is `none` (colibrid). */
  readonly required: boolean;
}

const SOURCES = ['bitwarden', 'directory'] as const;

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === '' ? undefined : value.trim();

function invalid(message: string, flag: string): never {
  throw new ColibriError('COLIBRI_INVALID_INPUT', message, { flag });
}

/**
 * Resolves the vault configuration once, the same way for every program: flags > environment.
 * The source is `--source`, else implied by `--secrets-dir` (directory) or `--vault-server`
 * (bitwarden), else by COLIBRI_SECRETS_DIR or COLIBRI_VAULT_SERVER; naming both sources is refused.
 * Bitwarden needs BW_CLIENTID, BW_CLIENTSECRET and BW_PASSWORD in the environment; messages name
 * missing variables, never a value.
 */
export function resolveVaultConfig(flags: VaultFlags, sources: VaultConfigSources): VaultConfig {
  const { env, cwd, home, program } = sources;
  const at = (path: string) => (isAbsolute(path) ? resolve(path) : resolve(cwd, path));
  const source = nonEmpty(flags.source);
  const dirFlag = nonEmpty(flags['secrets-dir']);
  const serverFlag = nonEmpty(flags['vault-server']);
  if (source !== undefined && !(SOURCES as readonly string[]).includes(source)) {
    return invalid(`--source must be bitwarden or directory, got ${JSON.stringify(source)}`, 'source');
  }
  if (source === undefined && dirFlag !== undefined && serverFlag !== undefined) {
    return invalid('--secrets-dir and --vault-server name two secret sources; pass one', 'vault-server');
  }
  if (source === 'bitwarden' && dirFlag !== undefined) {
    return invalid('--secrets-dir only applies to --source directory', 'secrets-dir');
  }
  if (source === 'directory' && serverFlag !== undefined) {
    return invalid('--vault-server only applies to --source bitwarden', 'vault-server');
  }
  const envDir = nonEmpty(env.COLIBRI_SECRETS_DIR);
  const envServer = nonEmpty(env.COLIBRI_VAULT_SERVER);
  let kind =
    source ?? (dirFlag !== undefined ? 'directory' : serverFlag !== undefined ? 'bitwarden' : undefined);
  if (kind === undefined) {
    if (envDir !== undefined && envServer !== undefined) {
      return invalid(
        'COLIBRI_SECRETS_DIR and COLIBRI_VAULT_SERVER name two secret sources: pass --source bitwarden or --source directory',
        'source',
      );
    }
    kind = envDir !== undefined ? 'directory' : envServer !== undefined ? 'bitwarden' : undefined;
  }
  if (kind === undefined) {
    if (!sources.required) return { kind: 'none' };
    return invalid(
      'no secret source: pass --vault-server https://vault.example.org or set COLIBRI_VAULT_SERVER ' +
        '(or --source directory --secrets-dir DIR for local files)',
      'vault-server',
    );
  }
  if (kind === 'directory') {
    const directory = dirFlag ?? envDir;
    if (directory === undefined) {
      return invalid(
        '--source directory needs the directory holding <tenant>.env files: pass --secrets-dir or set COLIBRI_SECRETS_DIR',
        'secrets-dir',
      );
    }
    return { kind: 'directory', directory: at(directory) };
  }
  const serverUrl = serverFlag ?? envServer;
  if (serverUrl === undefined) {
    return invalid(
      'no vault server: pass --vault-server https://vault.example.org or set COLIBRI_VAULT_SERVER',
      'vault-server',
    );
  }
  const clientId = nonEmpty(env.BW_CLIENTID);
  const clientSecret = nonEmpty(env.BW_CLIENTSECRET);
  const masterPassword = env.BW_PASSWORD === '' ? undefined : env.BW_PASSWORD;
  if (clientId === undefined || clientSecret === undefined || masterPassword === undefined) {
    const missing = [
      clientId === undefined ? 'BW_CLIENTID' : undefined,
      clientSecret === undefined ? 'BW_CLIENTSECRET' : undefined,
      masterPassword === undefined ? 'BW_PASSWORD' : undefined,
    ].filter((name) => name !== undefined);
    return invalid(
      `the vault server ${serverUrl} needs its credentials in ${program}'s environment (never in flags), and ` +
        `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set: export the service-account user's ` +
        `personal API key (BW_CLIENTID=user.…, BW_CLIENTSECRET) and its master password (BW_PASSWORD) before running ${program}`,
      'vault-server',
    );
  }
  const caCerts = nonEmpty(env.NODE_EXTRA_CA_CERTS);
  return {
    kind: 'bitwarden',
    serverUrl,
    appDataDir: join(home, 'bw'),
    credentials: { clientId, clientSecret, masterPassword },
    extraEnv: caCerts === undefined ? {} : { NODE_EXTRA_CA_CERTS: at(caCerts) },
  };
}
