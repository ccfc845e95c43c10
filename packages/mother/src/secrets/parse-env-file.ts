import { ColibriError } from '@colibri/errors';

const KEY = /^([A-Za-z_][A-Za-z0-9_]*)=/;
// Unquoted values stay simple: nothing a shell would expand, split or unquote differently.
const SIMPLE_VALUE = /^[A-Za-z0-9_.,:/@%+=-]*$/;

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
 * Parses the `.env` the vault writes: one `KEY='value'` per line, the value single-quoted and
 * taken literally (it may span lines); also `KEY=value` for simple unquoted values
 * (`[A-Za-z0-9_.,:/@%+=-]`), blank lines and `#` comment lines. A `'` inside a value may be
 * written the POSIX-shell way, `'it'\''s'`, so the file stays loadable by `sh` too.
 *
 * Anything else fails with `COLIBRI_SECRETS_MALFORMED` naming the file, the line number and the
 * key when known — never the value or the line's text, which may be a secret.
 */
export function parseEnvFile(text: string, file: string): Record<string, string> {
  const variables = new Map<string, { value: string; line: number }>();
  let position = 0;
  let line = 1;
  while (position < text.length) {
    const lineEnd = text.indexOf('\n', position) === -1 ? text.length : text.indexOf('\n', position);
    const raw = text.slice(position, lineEnd);
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) {
      if (raw.includes('\r') && raw.trim() !== '')
        throw malformed(
          file,
          line,
          'carriage return (CRLF line endings?): save the file with LF line endings',
        );
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
    let value = '';
    position += key.length + 1;
    if (text[position] === "'") {
      // Adjacent '...' and \' segments join into one value, exactly as sh reads them.
      while (true) {
        if (text[position] === "'") {
          const close = text.indexOf("'", position + 1);
          if (close === -1)
            throw malformed(file, startLine, `the value of ${key} opens a ' quote that is never closed`, key);
          const segment = text.slice(position + 1, close);
          value += segment;
          line += countNewlines(segment);
          position = close + 1;
        } else if (text.startsWith("\\'", position)) {
          value += "'";
          position += 2;
        } else {
          break;
        }
      }
      const restEnd = text.indexOf('\n', position) === -1 ? text.length : text.indexOf('\n', position);
      const rest = text.slice(position, restEnd);
      if (!/^[ \t]*(#.*)?$/.test(rest)) {
        throw malformed(
          file,
          line,
          rest.includes('\r')
            ? `carriage return after the value of ${key} (CRLF line endings?): save the file with LF line endings`
            : `unexpected characters after the closing quote of ${key}`,
          key,
        );
      }
      position = restEnd + 1;
    } else {
      value = raw.slice(key.length + 1);
      if (!SIMPLE_VALUE.test(value)) {
        throw malformed(
          file,
          line,
          value.includes('\r')
            ? `carriage return in the value of ${key} (CRLF line endings?): save the file with LF line endings`
            : `the unquoted value of ${key} has characters that need quoting: write ${key}='...'`,
          key,
        );
      }
      position = lineEnd + 1;
    }
    if (value.includes('\0') || value.includes('\r')) {
      throw malformed(
        file,
        startLine,
        `the value of ${key} contains a NUL or carriage return, which an environment variable cannot carry`,
        key,
      );
    }
    const earlier = variables.get(key);
    if (earlier !== undefined) {
      throw malformed(file, startLine, `${key} is set twice (first on line ${earlier.line}); keep one`, key);
    }
    variables.set(key, { value, line: startLine });
    line += 1;
  }
  return Object.fromEntries([...variables].map(([key, { value }]) => [key, value]));
}
