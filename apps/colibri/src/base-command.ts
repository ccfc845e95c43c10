import { type ColibriError, errorKind, isColibriError } from '@colibri/errors';
import { Command } from '@oclif/core';

/** Exit codes by error kind, in one place: scripts can branch on them. */
export const EXIT_CODES = {
  'invalid-input': 2,
  unauthenticated: 77,
  forbidden: 77,
  'not-found': 3,
  conflict: 4,
  unavailable: 5,
  internal: 70,
} as const;

/**
 * Every colibri command: `--json` (camelCase fields), and one `catch()` that turns an error's
 * stable code into an exit code and a one-line reason (or a JSON envelope with `--json`).
 */
export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true;

  protected override async catch(error: Error & { exitCode?: number }): Promise<unknown> {
    if (!isColibriError(error)) return super.catch(error);
    const colibriError = error as ColibriError;
    const exitCode = EXIT_CODES[errorKind(colibriError.code)];
    if (this.jsonEnabled()) {
      this.logJson({ error: colibriError.toJSON() });
    } else {
      process.stderr.write(`colibri: ${colibriError.message} [${colibriError.code}]\n`);
    }
    return this.exit(exitCode);
  }
}
