import { ColibriError } from '@colibri/errors';
import { checkVariable, compareKeys } from './env-variable.js';

// One assignment in exactly the form renderEnvFile writes: KEY='value' (the value may span lines
// and holds no single quote), then a newline or the end of the file.
const ASSIGNMENT = /([A-Za-z_][A-Za-z0-9_]*)='([^']*)'(?:\n|$)/y;
// Blank lines and whole-line comments, allowed so that a hand-written file can explain itself.
const SKIPPABLE = /[ \t]*(?:#[^\n]*)?(?:\n|$)/y;

/**
 * Parses a `.env` file written in colibri's own form (`KEY='value'` lines, as `renderEnvFile`
 * writes them, plus blank lines and `#` comment lines) into variables sorted by key.
 *
 * Strict on purpose: anything else (unquoted or double-quoted values, `export`, a duplicated key,
 * CR or NUL) is `COLIBRI_VAULT_SECRET_INVALID` naming `source` and the line, never its content.
 */
export function parseEnvFile(text: string, source: string): Array<readonly [string, string]> {
  const variables = new Map<string, string>();
  let position = 0;
  const lineAt = (offset: number): number => text.slice(0, offset).split('\n').length;
  while (position < text.length) {
    SKIPPABLE.lastIndex = position;
    if (SKIPPABLE.test(text) && SKIPPABLE.lastIndex > position) {
      position = SKIPPABLE.lastIndex;
      continue;
    }
    ASSIGNMENT.lastIndex = position;
    const match = ASSIGNMENT.exec(text);
    if (match === null) {
      throw new ColibriError(
        'COLIBRI_VAULT_SECRET_INVALID',
        `${source} line ${lineAt(position)}: expected KEY='value' (single quotes; a value may not contain ') ` +
          'or a # comment',
        { source, line: lineAt(position) },
      );
    }
    const key = match[1] as string;
    const value = match[2] as string;
    if (variables.has(key)) {
      throw new ColibriError(
        'COLIBRI_VAULT_SECRET_INVALID',
        `${source} line ${lineAt(position)}: ${key} is defined twice; keep one`,
        { source, line: lineAt(position), key },
      );
    }
    checkVariable(key, value, { item: source });
    variables.set(key, value);
    position = ASSIGNMENT.lastIndex;
  }
  return [...variables].sort(([a], [b]) => compareKeys(a, b));
}
