import { ColibriError } from '@colibri/errors';

/** A variable name every shell and dotenv parser accepts. */
export const ENV_KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Where a variable came from, for error messages: the tenant and the vault item (names only). */
export interface VariableOrigin {
  readonly tenantId?: string;
  readonly item?: string;
}

function describeOrigin(origin: VariableOrigin): string {
  const parts: string[] = [];
  if (origin.item !== undefined) parts.push(`item ${JSON.stringify(origin.item)}`);
  if (origin.tenantId !== undefined) parts.push(`tenant ${origin.tenantId}`);
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
}

function refuse(message: string, key: string | null, origin: VariableOrigin): never {
  throw new ColibriError('COLIBRI_VAULT_SECRET_INVALID', message, {
    key,
    ...(origin.item === undefined ? {} : { item: origin.item }),
    ...(origin.tenantId === undefined ? {} : { tenant: origin.tenantId }),
  });
}

/**
 * Why `value` cannot be written as `KEY='value'` for every reader, or undefined when it can:
 * - a single quote cannot be escaped inside single quotes (sh); CR and NUL do not survive every
 *   parser;
 * - python-dotenv (and node dotenv's line pattern) read a backslash before the closing quote as
 *   escaping it, so a value ending in a backslash swallows the lines after it; python-dotenv also
 *   turns two backslashes into one.
 */
export function unsafeValueReason(value: string): string | undefined {
  if (value.includes("'")) return "a single quote (')";
  if (value.includes('\r')) return 'a carriage return';
  if (value.includes('\0')) return 'a NUL character';
  if (value.includes('\\\\')) return 'two backslashes in a row (python-dotenv would read them as one)';
  if (value.endsWith('\\'))
    return 'a backslash at its end (dotenv parsers would read it as escaping the quote)';
  return undefined;
}

/**
 * Checks that `key` is a valid variable name and that `value` can be written as `KEY='value'`
 * and read back unchanged by POSIX sh, node dotenv and python-dotenv (see `unsafeValueReason`).
 * Errors name the key and its origin, never the value.
 */
export function checkVariable(key: unknown, value: unknown, origin: VariableOrigin = {}): void {
  const where = describeOrigin(origin);
  if (typeof key !== 'string' || !ENV_KEY_PATTERN.test(key)) {
    const shown = typeof key === 'string' ? JSON.stringify(key) : String(key);
    refuse(
      `secret name ${shown}${where} is not a valid variable name: use letters, digits and _ ` +
        '(not starting with a digit), e.g. DATABASE_URL; rename it in the vault',
      typeof key === 'string' ? key : null,
      origin,
    );
  }
  if (typeof value !== 'string') {
    refuse(`secret ${key}${where} has no text value`, key, origin);
  }
  const bad = unsafeValueReason(value);
  if (bad !== undefined) {
    refuse(
      `secret ${key}${where} contains ${bad}, which cannot be written safely to a .env file; ` +
        'change the value in the vault (e.g. regenerate it without that character)',
      key,
      origin,
    );
  }
}

/** Compares keys by code unit, so the order never depends on the locale. */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
