import { isAbsolute, resolve } from 'node:path';
import { ColibriError } from '@colibri/errors';
import { DEFAULT_BASTILLE_JAILS_DIR, DEFAULT_LINUX_JAIL_ROOT } from '@colibri/spawner';
import { resolveVaultConfig, type VaultConfig, type VaultFlags } from '@colibri/vault/config';

/** `colibri provision-tenant`'s own flags, as parsed (absent = undefined); the vault's are shared. */
export interface ProvisionFlags extends VaultFlags {
  readonly all?: boolean | undefined;
  readonly driver?: string | undefined;
  readonly 'jail-root'?: string | undefined;
  readonly 'jail-home'?: string | undefined;
  readonly owner?: string | undefined;
}

/**
 * Where the tenants' secrets come from, fully resolved by the vault's one resolver (the CLI always
 * needs a source, so never `none`). Credentials never come from flags.
 */
export type ProvisionSourceConfig = Exclude<VaultConfig, { readonly kind: 'none' }>;

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
 * Resolves `provision-tenant`'s configuration once: flags > environment > defaults; the vault part
 * by `resolveVaultConfig`, exactly as colibrid and spawn-agent resolve it. The vault credentials
 * come ONLY from the environment (BW_CLIENTID, BW_CLIENTSECRET, BW_PASSWORD): a flag would put them
 * in argv, where every local user can read them (`ps`).
 */
export function resolveProvisionConfig(
  flags: ProvisionFlags,
  sources: ProvisionConfigSources,
): ProvisionConfig {
  const { env, cwd, home } = sources;
  const vault = resolveVaultConfig(
    { source: flags.source, 'secrets-dir': flags['secrets-dir'], 'vault-server': flags['vault-server'] },
    { env, cwd, home, program: 'colibri', required: true },
  );
  if (vault.kind === 'none') return invalid('no secret source configured', 'vault-server'); // required: unreachable
  const source: ProvisionSourceConfig = vault;

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
