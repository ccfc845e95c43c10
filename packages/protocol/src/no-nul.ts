import * as v from 'valibot';

/**
 * What a string holding a NUL character is told. PostgreSQL's `text` cannot store NUL (SQLite's
 * can), so colibri refuses it in every text field, at every boundary, on every dialect alike.
 */
export const NUL_MESSAGE = 'must not contain a NUL character (\\u0000)';

/** True when `value` holds a NUL character (U+0000). */
export function hasNul(value: string): boolean {
  return value.includes('\u0000');
}

/** A valibot step refusing a string that holds a NUL character, with {@link NUL_MESSAGE}. */
export function noNul() {
  return v.check((value: string) => !hasNul(value), NUL_MESSAGE);
}
