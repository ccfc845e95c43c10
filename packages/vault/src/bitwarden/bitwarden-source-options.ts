import { isAbsolute } from 'node:path';
import { ColibriError } from '@colibri/errors';
import * as v from 'valibot';
import type { CommandRunner } from '../command-runner.js';
import type { VaultLogger } from '../secret-source.js';

/** The service account's credentials. They reach only bw's environment, never argv or messages. */
export interface BitwardenCredentials {
  /** The service-account USER's personal API key id, `user.<uuid>` (organization keys cannot log in). */
  readonly clientId: string;
  readonly clientSecret: string;
  /** That user's master password, for `bw unlock`. */
  readonly masterPassword: string;
}

export interface BitwardenSourceOptions {
  /** The Vaultwarden/Bitwarden server, `https://…` (bw refuses plain http). */
  readonly serverUrl: string;
  /** bw's state directory (BITWARDENCLI_APPDATA_DIR); created 0700, refused if others can reach it. */
  readonly appDataDir: string;
  readonly credentials: BitwardenCredentials;
  /** bw's bundle; default: the pinned `@bitwarden/cli/build/bw.js` this package depends on. */
  readonly bwEntry?: string;
  /** Extra variables for bw, e.g. `NODE_EXTRA_CA_CERTS` for a private CA. */
  readonly extraEnv?: Readonly<Record<string, string>>;
  /** How bw is run; default: execa. Tests pass a scripted fake. */
  readonly runner?: CommandRunner;
  /** Longest wait for another vault operation (this process or another) to finish. Default 300000. */
  readonly lockWaitMs?: number;
  /** Longest a single bw call may run. Default 120000. */
  readonly commandTimeoutMs?: number;
  readonly logger?: VaultLogger;
}

/** Variables colibri sets itself: an `extraEnv` entry may not override them. */
export const RESERVED_BW_ENV = [
  'BITWARDENCLI_APPDATA_DIR',
  'BW_NOINTERACTION',
  'BW_SESSION',
  'BW_CLIENTID',
  'BW_CLIENTSECRET',
  'BW_PASSWORD',
  'BITWARDENCLI_DEBUG',
] as const;

const nonEmpty = (what: string) =>
  v.pipe(v.string(`${what} must be a string`), v.minLength(1, `${what} must not be empty`));
const positiveMs = (what: string) =>
  v.pipe(
    v.number(`${what} must be a number of milliseconds`),
    v.integer(`${what} must be a whole number of milliseconds`),
    v.minValue(1, `${what} must be at least 1 ms`),
  );
const absolutePath = (what: string) =>
  v.pipe(nonEmpty(what), v.check(isAbsolute, `${what} must be an absolute path`));

// Every validator carries its own message: valibot's defaults quote the received value, which
// here could be a credential.
const optionsSchema = v.object(
  {
    serverUrl: nonEmpty('serverUrl'),
    appDataDir: absolutePath('appDataDir'),
    credentials: v.object(
      {
        clientId: v.pipe(
          nonEmpty('credentials.clientId (BW_CLIENTID)'),
          v.check(
            (id) => !id.startsWith('organization.'),
            'credentials.clientId (BW_CLIENTID) is an organization API key, which bw cannot log in with; ' +
              "use the service-account user's personal API key (user.<uuid>)",
          ),
        ),
        clientSecret: nonEmpty('credentials.clientSecret (BW_CLIENTSECRET)'),
        masterPassword: nonEmpty('credentials.masterPassword (BW_PASSWORD)'),
      },
      'credentials must be an object with clientId, clientSecret and masterPassword',
    ),
    bwEntry: v.optional(absolutePath('bwEntry')),
    extraEnv: v.optional(
      v.pipe(
        v.record(v.string(), v.string('extraEnv values must be strings'), 'extraEnv must be an object'),
        v.check(
          (env) => !RESERVED_BW_ENV.some((name) => name in env),
          `extraEnv may not set ${RESERVED_BW_ENV.join(', ')}: colibri sets them itself`,
        ),
      ),
    ),
    runner: v.optional(
      v.custom<CommandRunner>(
        (runner) => typeof runner === 'object' && runner !== null,
        'runner must be a CommandRunner',
      ),
    ),
    lockWaitMs: v.optional(positiveMs('lockWaitMs')),
    commandTimeoutMs: v.optional(positiveMs('commandTimeoutMs')),
    logger: v.optional(
      v.custom<VaultLogger>(
        (logger) => typeof logger === 'object' && logger !== null,
        'logger must be a VaultLogger',
      ),
    ),
  },
  'Bitwarden source options must be an object',
);

/**
 * The configured server as bw reports it after `bw config server`: origin plus path without
 * trailing slashes. Only https, without credentials, query or fragment.
 */
export function normalizeServerUrl(input: string): string {
  const invalid = (why: string): never => {
    throw new ColibriError('COLIBRI_INVALID_INPUT', `vault server ${JSON.stringify(input)} ${why}`, {
      field: 'serverUrl',
    });
  };
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return invalid('is not a URL; use e.g. https://vault.example.org');
  }
  if (url.protocol !== 'https:') return invalid('must use https:// (bw refuses insecure URLs)');
  if (url.username !== '' || url.password !== '') return invalid('must not carry credentials');
  if (url.search !== '' || url.hash !== '') return invalid('must not have a query or fragment');
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** Validates the options once, at the boundary; the error names the field, never a value. */
export function parseBitwardenSourceOptions(input: BitwardenSourceOptions): BitwardenSourceOptions {
  const parsed = v.safeParse(optionsSchema, input);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    throw new ColibriError(
      'COLIBRI_INVALID_INPUT',
      `Bitwarden source: ${issue?.message ?? 'invalid options'}`,
      { field: issue?.path?.map((item) => String(item.key)).join('.') ?? null },
    );
  }
  return { ...input, serverUrl: normalizeServerUrl(input.serverUrl) };
}
