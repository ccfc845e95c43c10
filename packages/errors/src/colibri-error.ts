import type { ErrorCode } from './error-codes.js';

/** Structured, non-secret facts about an error (ids, tag names, states). Never values of secrets. */
export type ErrorDetails = Readonly<Record<string, unknown>>;

/**
 * Marks an error made by this class in any copy of this module: the CLI bundles one copy
 * (dist/cli.bundle.cjs) while the packages it loads from node_modules (vault, mcp, mother,
 * spawner) import another, and an error crosses between them in both directions.
 */
const COLIBRI_ERROR: unique symbol = Symbol.for('@colibri/errors:ColibriError');

/**
 * The one error class colibri throws across package boundaries.
 *
 * Callers branch on {@link ColibriError.code}, never on the message: the code is stable across
 * versions, the message is for people. The daemon maps codes to HTTP statuses and the CLI maps
 * them to exit codes, each in one place.
 */
export class ColibriError extends Error {
  /** `instanceof ColibriError` holds for a ColibriError made by any copy of this module. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && COLIBRI_ERROR in value;
  }

  /** Stable machine-readable code, e.g. `COLIBRI_TASK_NOT_FOUND`. */
  readonly code: ErrorCode;
  /** Non-secret facts that help a caller act on the error (ids, the offending tag, states). */
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ColibriError';
    this.code = code;
    this.details = Object.freeze({ ...details });
    Object.defineProperty(this, COLIBRI_ERROR, { value: true });
  }

  /** A JSON shape safe to print or send: code, message, details. No stack, no cause. */
  toJSON(): { code: ErrorCode; message: string; details: ErrorDetails } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

/** True when `error` is a {@link ColibriError}, optionally with the given code. */
export function isColibriError(error: unknown, code?: ErrorCode): error is ColibriError {
  return error instanceof ColibriError && (code === undefined || error.code === code);
}
