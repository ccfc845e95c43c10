/**
 * The shortest id prefix a command accepts in place of a whole task or agent id (as git and
 * docker accept short ids): shorter ones would too often match several.
 */
export const MIN_ID_PREFIX = 6;

/** How many characters of an id the CLI's tables show (`--wide` shows them whole). */
export const SHORT_ID_LENGTH = 8;

/** What a store id looks like: a lower-case UUID. */
const FULL_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What may start an id: lower-case hex digits and dashes, at most a whole id long. */
const ID_START = /^[0-9a-f][0-9a-f-]{0,35}$/;

/** True when `ref` is a whole id (a lower-case UUID). */
export function isFullId(ref: string): boolean {
  return FULL_ID.test(ref);
}

/** True when `ref` could be the start of an id (whatever its length). */
export function looksLikeIdPrefix(ref: string): boolean {
  return ID_START.test(ref);
}

/** The first {@link SHORT_ID_LENGTH} characters of `id`, for tables. */
export function shortId(id: string): string {
  return id.slice(0, SHORT_ID_LENGTH);
}
