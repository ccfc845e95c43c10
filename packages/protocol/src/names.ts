import { ColibriError } from '@colibri/errors';

/**
 * Tenant names double as jail names and collection names (1:1:1), so they must be safe in a
 * path, in argv and for Bastille: starts with a letter, then `a-z 0-9 -`, at most 32 characters,
 * no `.` or `/`, not `all` (a Bastille target keyword) and not release-like.
 */
export const TENANT_NAME_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;

/** Agent names follow the same alphabet (they may become jail names) with room for host suffixes. */
export const AGENT_NAME_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;

const RESERVED_NAMES = new Set(['all', 'default', 'release']);

function check(kind: 'tenant' | 'jail' | 'agent', pattern: RegExp, limit: number, input: unknown): string {
  const reject = (why: string): never => {
    throw new ColibriError('COLIBRI_INVALID_NAME', `${kind} name ${JSON.stringify(input)} ${why}`, {
      kind,
      name: typeof input === 'string' ? input : null,
    });
  };
  if (typeof input !== 'string') return reject('must be a string');
  if (!pattern.test(input)) {
    return reject(
      `is not valid: use a lower-case letter then up to ${limit - 1} of [a-z0-9-] (no dots, slashes or spaces)`,
    );
  }
  if (input.endsWith('-')) return reject('must not end with "-"');
  if (RESERVED_NAMES.has(input) || input.endsWith('-release')) {
    return reject('is reserved (Bastille treats it as a keyword or a release): pick another name');
  }
  return input;
}

/** Returns `input` if it is a valid tenant (= jail = collection) name, else throws `COLIBRI_INVALID_NAME`. */
export function parseTenantName(input: unknown): string {
  return check('tenant', TENANT_NAME_PATTERN, 32, input);
}

/**
 * Returns `input` if it is a valid jail name, else throws `COLIBRI_INVALID_NAME`. The same rule
 * as tenant names: a jail name reaches paths and Bastille's argv, and by default equals the tenant.
 */
export function parseJailName(input: unknown): string {
  return check('jail', TENANT_NAME_PATTERN, 32, input);
}

/** Returns `input` if it is a valid agent name, else throws `COLIBRI_INVALID_NAME`. */
export function parseAgentName(input: unknown): string {
  return check('agent', AGENT_NAME_PATTERN, 63, input);
}

/** The longest Vaultwarden collection name colibri accepts, in characters. */
export const MAX_COLLECTION_NAME_LENGTH = 128;

/**
 * Returns `input` if it is an acceptable Vaultwarden collection name, else throws
 * `COLIBRI_INVALID_NAME`. Unlike a tenant name it never reaches a path or argv (the vault matches
 * it exactly against decrypted names), so any text is fine except: empty or blank, longer than
 * 128 characters, or containing control characters (which would garble logs and tables).
 */
export function parseCollectionName(input: unknown): string {
  const reject = (why: string): never => {
    throw new ColibriError('COLIBRI_INVALID_NAME', `collection name ${JSON.stringify(input)} ${why}`, {
      kind: 'collection',
      name: typeof input === 'string' ? input : null,
    });
  };
  if (typeof input !== 'string') return reject('must be a string');
  if (input.trim() === '') return reject('must not be empty or blank');
  if ([...input].length > MAX_COLLECTION_NAME_LENGTH) {
    return reject(`is too long: at most ${MAX_COLLECTION_NAME_LENGTH} characters`);
  }
  if (/\p{Cc}/u.test(input)) return reject('must not contain control characters (tabs, newlines, NUL…)');
  return input;
}
