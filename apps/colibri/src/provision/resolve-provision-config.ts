import { isAbsolute, join, resolve } from 'node:path';
import { ColibriError } from '@colibri/errors';
import { DEFAULT_BASTILLE_JAILS_DIR, DEFAULT_LINUX_JAIL_ROOT } from '@colibri/spawner';

/** `colibri provision-tenant`'s own flags, as parsed (absent = undefined). */
export interface ProvisionFlags {
  readonly all?: boolean | undefined;
  readonly driver?: string | undefined;
  readonly 'jail-root'?: string | undefined;
  readonly 'jail-home'?: string | undefined;
  readonly owner?: string | undefined;
  readonly source?: string | undefined;
  readonly 'secrets-dir'?: string | undefined;
  readonly server?: string | undefined;
}

/** Where the tenants' secrets come from, fully resolved. Credentials never come from flags. */
export type ProvisionSourceConfig =
  | {
      readonly kind: 'bitwarden';
      readonly serverUrl: string;
      /** `$COLIBRI_HOME/bw`, created 0700 by the vault library. */
      readonly appDataDir: string;
      readonly credentials: {
        readonly clientId: string;
        readonly clientSecret: string;
        readonly masterPassword: string;
      };
      /** NODE_EXTRA_CA_CERTS when set: a private CA for the vault server. */
      readonly extraEnv: Readonly<Record<string, string>>;
    }
  | { readonly kind: 'directory'; readonly directory: string };

export interface ProvisionConfig {
  readonly source: ProvisionSourceConfig;
  /** Whose layout the jails have: where a jail's home and record are (`jailHomePath`, `readJailOwner`). */
  readonly layout: 'linux' | 'bastille';
  /** Every jail home must be inside it (absolute): the linux jail root, or Bastille's `<prefix>/jails`. */
  readonly jailRoot: string;
  /** An explicit jail home (one tenant only), absolute. */
  readonly jailHome: string | undefined;
  /** An explicit `.env` owner; default: the owner of each jail home. */
  readonly owner: { readonly uid: number; readonly gid: number } | undefined;
}

/** What configuration resolution reads besides the flags; the command passes the real values. */
export interface ProvisionConfigSources {
  /** COLIBRI_VAULT_SERVER, BW_CLIENTID, BW_CLIENTSECRET, BW_PASSWORD, COLIBRI_JAIL_ROOT, COLIBRI_SECRETS_DIR, NODE_EXTRA_CA_CERTS. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** COLIBRI_HOME, absolute. */
  readonly home: string;
  /** Whether a TENANT argument was given (as opposed to --all). */
  readonly singleTenant: boolean;
  /** Picks the default layout (bastille on FreeBSD, else linux); default linux. */
  readonly platform?: NodeJS.Platform;
}

const MAX_ID = 2 ** 32 - 2;

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === '' ? undefined : value.trim();

function invalid(message: string, flag: string): never {
  throw new ColibriError('COLIBRI_INVALID_INPUT', message, { flag });
}

/** `UID:GID`, two whole numbers. */
export function parseOwner(input: string): { uid: number; gid: number } {
  const match = /^(\d{1,10}):(\d{1,10})$/.exec(input.trim());
  const uid = Number(match?.[1]);
  const gid = Number(match?.[2]);
  if (match === null || uid > MAX_ID || gid > MAX_ID) {
    return invalid(`--owner ${JSON.stringify(input)} is not UID:GID (two numbers, e.g. 1001:1001)`, 'owner');
  }
  return { uid, gid };
}

/**
 * Resolves `provision-tenant`'s configuration once: flags > environment > defaults. The vault
 * credentials come ONLY from the environment (BW_CLIENTID, BW_CLIENTSECRET, BW_PASSWORD): a flag
 * would put them in argv, where every local user can read them (`ps`).
 */
export function resolveProvisionConfig(
  flags: ProvisionFlags,
  sources: ProvisionConfigSources,
): ProvisionConfig {
  const { env, cwd, home } = sources;
  const secretsDir = nonEmpty(flags['secrets-dir']) ?? nonEmpty(env.COLIBRI_SECRETS_DIR);
  const kind = flags.source ?? (nonEmpty(flags['secrets-dir']) === undefined ? 'bitwarden' : 'directory');
  if (kind !== 'bitwarden' && kind !== 'directory') {
    return invalid(`--source must be bitwarden or directory, got ${JSON.stringify(kind)}`, 'source');
  }
  let source: ProvisionSourceConfig;
  if (kind === 'directory') {
    if (secretsDir === undefined) {
      return invalid(
        '--source directory needs the directory holding <tenant>.env files: pass --secrets-dir or set COLIBRI_SECRETS_DIR',
        'secrets-dir',
      );
    }
    source = { kind, directory: resolve(cwd, secretsDir) };
  } else {
    if (nonEmpty(flags['secrets-dir']) !== undefined) {
      return invalid('--secrets-dir only applies to --source directory', 'secrets-dir');
    }
    const serverUrl = nonEmpty(flags.server) ?? nonEmpty(env.COLIBRI_VAULT_SERVER);
    if (serverUrl === undefined) {
      return invalid(
        'no vault server: pass --server https://vault.example.org or set COLIBRI_VAULT_SERVER ' +
          '(or use --source directory --secrets-dir DIR for local files)',
        'server',
      );
    }
    const clientId = nonEmpty(env.BW_CLIENTID);
    const clientSecret = nonEmpty(env.BW_CLIENTSECRET);
    const masterPassword = env.BW_PASSWORD === '' ? undefined : env.BW_PASSWORD;
    const missing = [
      clientId === undefined ? 'BW_CLIENTID' : undefined,
      clientSecret === undefined ? 'BW_CLIENTSECRET' : undefined,
      masterPassword === undefined ? 'BW_PASSWORD' : undefined,
    ].filter((name) => name !== undefined);
    if (clientId === undefined || clientSecret === undefined || masterPassword === undefined) {
      return invalid(
        `the vault credentials come from the environment only, and ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} ` +
          "not set: export the service-account user's personal API key (BW_CLIENTID=user.…, BW_CLIENTSECRET) " +
          'and its master password (BW_PASSWORD)',
        'server',
      );
    }
    const caCerts = nonEmpty(env.NODE_EXTRA_CA_CERTS);
    source = {
      kind,
      serverUrl,
      appDataDir: join(home, 'bw'),
      credentials: { clientId, clientSecret, masterPassword },
      extraEnv: caCerts === undefined ? {} : { NODE_EXTRA_CA_CERTS: resolve(cwd, caCerts) },
    };
  }
  if (kind === 'directory' && nonEmpty(flags.server) !== undefined) {
    return invalid('--server only applies to --source bitwarden', 'server');
  }

  const layout = nonEmpty(flags.driver) ?? (sources.platform === 'freebsd' ? 'bastille' : 'linux');
  if (layout !== 'linux' && layout !== 'bastille') {
    return invalid(`--driver must be linux or bastille, got ${JSON.stringify(layout)}`, 'driver');
  }
  const jailRootInput =
    nonEmpty(flags['jail-root']) ??
    nonEmpty(env.COLIBRI_JAIL_ROOT) ??
    (layout === 'bastille' ? DEFAULT_BASTILLE_JAILS_DIR : DEFAULT_LINUX_JAIL_ROOT);
  const jailHomeInput = nonEmpty(flags['jail-home']);
  if (jailHomeInput !== undefined && !sources.singleTenant) {
    return invalid('--jail-home names one jail home: use it with a TENANT, not with --all', 'jail-home');
  }
  const owner = nonEmpty(flags.owner);
  return {
    source,
    layout,
    jailRoot: isAbsolute(jailRootInput) ? jailRootInput : resolve(cwd, jailRootInput),
    jailHome: jailHomeInput === undefined ? undefined : resolve(cwd, jailHomeInput),
    owner: owner === undefined ? undefined : parseOwner(owner),
  };
}
