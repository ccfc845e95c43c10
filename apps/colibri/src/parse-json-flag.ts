import { ColibriError } from '@colibri/errors';

/** Parses a flag's JSON value (`--payload`, `--result`), or fails naming the flag and where the JSON broke. */
export function parseJsonFlag(flag: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const message = error instanceof SyntaxError ? error.message : String(error);
    const why = message.length > 120 ? `${message.slice(0, 117)}...` : message;
    throw new ColibriError(
      'COLIBRI_INVALID_INPUT',
      `--${flag} is not valid JSON (${why}); quote it for the shell, e.g. --${flag} '{"url":"https://example.org"}'`,
      { flag },
    );
  }
}
