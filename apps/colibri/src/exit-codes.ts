import { ERROR_CODES, type ErrorKind } from '@colibri/errors';

/** Exit codes by error kind, in one place: scripts can branch on them. */
export const EXIT_CODES = {
  'invalid-input': 2,
  unauthenticated: 77,
  forbidden: 77,
  'not-found': 3,
  conflict: 4,
  unavailable: 5,
  internal: 70,
} as const satisfies Readonly<Record<ErrorKind, number>>;

/** The exit code for `code`; a code this CLI does not know (a newer daemon) counts as internal. */
export function exitCodeFor(code: string): number {
  const kind = (ERROR_CODES as Readonly<Record<string, ErrorKind>>)[code];
  return kind === undefined ? EXIT_CODES.internal : EXIT_CODES[kind];
}
