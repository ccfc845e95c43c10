import { ColibriError } from '@colibri/errors';
import * as v from 'valibot';

/**
 * A capability tag: lower-case, starts with a letter or digit, then up to 63 of `a-z 0-9 . _ + -`.
 * Tags are compared by exact string equality; there is no hierarchy (`python3` does not imply
 * `python3.12`).
 */
export const CAPABILITY_TAG_PATTERN = /^[a-z0-9][a-z0-9._+-]{0,63}$/;

/** valibot schema of one capability tag, for composing into request schemas. */
export const capabilityTagSchema = v.pipe(
  v.string(),
  v.regex(
    CAPABILITY_TAG_PATTERN,
    'a capability tag is lower-case [a-z0-9] then up to 63 of [a-z0-9._+-], e.g. linux, python3.12, image-render',
  ),
);

/** A validated capability tag. */
export type CapabilityTag = string;

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  return value === null ? 'null' : typeof value;
}

/**
 * Validates a capability list and returns it frozen, in the caller's order.
 *
 * Throws `COLIBRI_INVALID_CAPABILITY` naming the first bad or duplicated tag (and its position),
 * so the person who typed it can fix exactly that tag.
 */
export function parseCapabilities(input: unknown, what = 'capabilities'): readonly CapabilityTag[] {
  if (!Array.isArray(input)) {
    throw new ColibriError(
      'COLIBRI_INVALID_CAPABILITY',
      `${what} must be a list of tags, got ${describe(input)}`,
      { field: what },
    );
  }
  const seen = new Set<string>();
  input.forEach((tag: unknown, index) => {
    if (typeof tag !== 'string' || !CAPABILITY_TAG_PATTERN.test(tag)) {
      const hint =
        typeof tag === 'string' && CAPABILITY_TAG_PATTERN.test(tag.toLowerCase())
          ? ` (tags are lower-case: did you mean "${tag.toLowerCase()}"?)`
          : ' (lower-case [a-z0-9] then up to 63 of [a-z0-9._+-], e.g. linux, python3.12, image-render)';
      throw new ColibriError(
        'COLIBRI_INVALID_CAPABILITY',
        `${what}[${index}]: ${describe(tag)} is not a valid capability tag${hint}`,
        { field: what, index, tag: typeof tag === 'string' ? tag : null },
      );
    }
    if (seen.has(tag)) {
      throw new ColibriError(
        'COLIBRI_INVALID_CAPABILITY',
        `${what}[${index}]: "${tag}" is listed twice; list each tag once`,
        { field: what, index, tag },
      );
    }
    seen.add(tag);
  });
  return Object.freeze([...(input as string[])]);
}
