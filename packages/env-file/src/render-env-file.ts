import { ColibriError } from '@colibri/errors';
import { checkVariable, compareKeys, type VariableOrigin } from './env-variable.js';

/**
 * Renders variables as a `.env` file: one `KEY='value'` line per variable, sorted by key, each
 * ending in a newline, nothing else. Single quotes keep `$`, backslashes, backticks, `#`, `"`,
 * tabs, newlines and Unicode literal for POSIX sh (`set -a; . ./.env`), node dotenv and
 * python-dotenv (which still expands `${X}`; see the README).
 *
 * Throws `COLIBRI_VAULT_SECRET_INVALID` naming the key for an invalid or duplicated key or a
 * value containing `'`, CR or NUL. Nothing is rendered unless every variable is valid.
 */
export function renderEnvFile(
  variables: ReadonlyArray<readonly [string, string]>,
  origin: Pick<VariableOrigin, 'tenantId'> = {},
): string {
  const seen = new Set<string>();
  for (const [key, value] of variables) {
    checkVariable(key, value, origin);
    if (seen.has(key)) {
      throw new ColibriError(
        'COLIBRI_VAULT_SECRET_INVALID',
        `secret ${key} is defined twice${origin.tenantId === undefined ? '' : ` for tenant ${origin.tenantId}`}; ` +
          'keep one of them in the vault',
        { key, ...(origin.tenantId === undefined ? {} : { tenant: origin.tenantId }) },
      );
    }
    seen.add(key);
  }
  return [...variables]
    .sort(([a], [b]) => compareKeys(a, b))
    .map(([key, value]) => `${key}='${value}'\n`)
    .join('');
}
