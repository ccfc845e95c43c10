import { ColibriError } from '@colibri/errors';
import { compareKeys, unsafeValueReason } from './env-variable.js';

const KEY = /^([A-Za-z_][A-Za-z0-9_]*)=/;

function malformed(file: string, line: number, problem: string, key?: string): ColibriError {
  return new ColibriError('COLIBRI_SECRETS_MALFORMED', `${file} line ${line}: ${problem}`, {
    envFile: file,
    line,
    ...(key === undefined ? {} : { key }),
  });
}

function countNewlines(text: string): number {
  let count = 0;
  for (const char of text) if (char === '\n') count += 1;
  return count;
}

/**
 * Parses a `.env` file in colibri's one form — exactly what {@link renderEnvFile} writes: one
 * `KEY='value'` per variable (the value taken literally, it may span lines and holds no `'`),
 * plus blank lines and whole-line `#` comments so a hand-written file can explain itself. The
 * variables come back sorted by key.
 *
 * Strict on purpose, so every reader (POSIX sh, node dotenv, python-dotenv, this parser) agrees on
 * every file it accepts: unquoted or double-quoted values, `export`, the shell's `'\''`, anything
 * after the closing quote, a duplicated key, CR, NUL, `\\` and a trailing backslash are refused
 * with `COLIBRI_SECRETS_MALFORMED` naming the file, the line and the key when known — never the
 * value or the line's text, which may be a secret.
 */
export function parseEnvFile(text: string, file: string): Array<readonly [string, string]> {
  const variables = new Map<string, { value: string; line: number }>();
  let position = 0;
  let line = 1;
  while (position < text.length) {
    const newline = text.indexOf('\n', position);
    const lineEnd = newline === -1 ? text.length : newline;
    const raw = text.slice(position, lineEnd);
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) {
      if (raw.includes('\r')) {
        throw malformed(
          file,
          line,
          'carriage return (CRLF line endings?): save the file with LF line endings',
        );
      }
      position = lineEnd + 1;
      line += 1;
      continue;
    }
    const key = KEY.exec(raw)?.[1];
    if (key === undefined) {
      throw malformed(
        file,
        line,
        "expected KEY='value' with KEY of [A-Za-z_][A-Za-z0-9_]* at the start of the line (no spaces around =, no export)",
      );
    }
    const startLine = line;
    const open = position + key.length + 1;
    if (text[open] !== "'") {
      throw malformed(
        file,
        line,
        raw.includes('\r')
          ? `carriage return in the value of ${key} (CRLF line endings?): save the file with LF line endings`
          : `the value of ${key} is not in single quotes: write ${key}='...'`,
        key,
      );
    }
    const close = text.indexOf("'", open + 1);
    if (close === -1) {
      throw malformed(file, startLine, `the value of ${key} opens a ' quote that is never closed`, key);
    }
    const value = text.slice(open + 1, close);
    line += countNewlines(value);
    const after = text[close + 1];
    if (after !== undefined && after !== '\n') {
      throw malformed(
        file,
        line,
        after === '\r'
          ? `carriage return after the value of ${key} (CRLF line endings?): save the file with LF line endings`
          : after === "'" || after === '\\'
            ? `the value of ${key} continues after its closing quote: a value cannot contain ' (not even as '\\'')`
            : `unexpected characters after the closing quote of ${key}`,
        key,
      );
    }
    const unsafe = unsafeValueReason(value);
    if (unsafe !== undefined) {
      throw malformed(
        file,
        startLine,
        `the value of ${key} contains ${unsafe}, which a .env cannot carry safely`,
        key,
      );
    }
    const earlier = variables.get(key);
    if (earlier !== undefined) {
      throw malformed(file, startLine, `${key} is set twice (first on line ${earlier.line}); keep one`, key);
    }
    variables.set(key, { value, line: startLine });
    position = close + 2;
    line += 1;
  }
  return [...variables]
    .map(([key, { value }]) => [key, value] as const)
    .sort(([a], [b]) => compareKeys(a, b));
}
