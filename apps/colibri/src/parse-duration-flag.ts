import { ColibriError } from '@colibri/errors';
import { parseDuration } from '@colibri/protocol';

/** The longest duration a flag takes: ten years (the API's limit). */
const MAX_SECONDS = 10 * 366 * 86_400;

/**
 * A duration flag (`--expire-after 30m`, `--older-than 7d`) as whole seconds, with the one
 * duration grammar colibrid uses. Garbage, zero, less than a second or more than ten years is
 * `COLIBRI_INVALID_INPUT` naming the flag (exit 2), before anything is sent.
 */
export function parseDurationFlag(flag: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) {
    throw new ColibriError(
      'COLIBRI_INVALID_INPUT',
      `--${flag} ${JSON.stringify(text)} is not a duration (use e.g. 90s, 30m, 12h, 7d)`,
      { flag },
    );
  }
  if (ms < 1000) {
    throw new ColibriError('COLIBRI_INVALID_INPUT', `--${flag} must be at least 1s, not ${text}`, { flag });
  }
  const seconds = Math.round(ms / 1000);
  if (seconds > MAX_SECONDS) {
    throw new ColibriError('COLIBRI_INVALID_INPUT', `--${flag} ${text} is longer than 10 years`, { flag });
  }
  return seconds;
}

/** `--expire-after DUR|never`: seconds, or null for never (overriding colibrid's default). */
export function parseExpireAfter(text: string): number | null {
  return text.trim() === 'never' ? null : parseDurationFlag('expire-after', text);
}
