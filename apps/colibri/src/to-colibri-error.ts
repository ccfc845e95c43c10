import { ColibriError, isColibriError } from '@colibri/errors';

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI colour escapes is the point
const ANSI = /\u001b\[[0-9;]*m/g;

/** Collapses a multi-line message (oclif's parser errors) into one line without colours or the help hint. */
export function oneLine(message: string): string {
  return message
    .replace(ANSI, '')
    .replace(/\n?See more help with --help\s*$/, '')
    .replace(/^Parsing (--[\w-]+)\s*\n\s*/, '$1: ')
    .replace(/^The following errors? occurred:\s*/, '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join('; ');
}

/** True for oclif's own errors (parser errors, `this.error`): they carry an `oclif` field. */
function isOclifError(error: unknown): error is Error & { oclif: { exit?: number } } {
  return error instanceof Error && typeof (error as { oclif?: unknown }).oclif === 'object';
}

/**
 * Turns whatever a command threw into a `ColibriError` with a one-line message: colibri's own
 * errors keep their code, oclif's parser errors (unknown flag, bad integer, missing flag) become
 * `COLIBRI_INVALID_INPUT`, anything else `COLIBRI_INTERNAL`.
 */
export function toColibriError(error: unknown): ColibriError {
  if (isColibriError(error)) {
    const message = oneLine(error.message);
    return message === error.message
      ? error
      : new ColibriError(error.code, message, error.details, { cause: error });
  }
  if (isOclifError(error)) {
    return new ColibriError('COLIBRI_INVALID_INPUT', oneLine(error.message), {}, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ColibriError('COLIBRI_INTERNAL', oneLine(message) || 'unexpected error', {}, { cause: error });
}

/** Replaces every occurrence of each secret in `text` with `***` (defence in depth for messages). */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret !== undefined && secret.length >= 4) out = out.split(secret).join('***');
  }
  return out;
}
