import type { Hook } from '@oclif/core';
import { terminalSafe, terminalSafeJson } from '../format/terminal-safe.js';

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * The one-line reason for an argv whose first word is no command. A flag in that place is named
 * without its value (it may be `--token=…`): oclif takes global flags only after the command.
 */
export function unknownCommandMessage(id: string, commandIds: readonly string[]): string {
  if (id.startsWith('-')) {
    const flag = id.split('=')[0];
    return `${flag} must come after the command (colibri <command> ${flag} …); see colibri --help`;
  }
  const [closest] = commandIds
    .map((candidate) => ({ candidate, distance: editDistance(id, candidate) }))
    .filter(({ candidate, distance }) => distance <= 3 || candidate.startsWith(id))
    .sort((x, y) => x.distance - y.distance);
  const hint = closest === undefined ? '' : `; did you mean ${closest.candidate}?`;
  return `unknown command "${id}"${hint} (see colibri --help)`;
}

/** oclif's `command_not_found` hook: one line and exit 2, like every other bad input (JSON envelope with --json). */
const hook: Hook.CommandNotFound = async function ({ id, argv, config }) {
  const message = unknownCommandMessage(id, config.commandIDs);
  if (id === '--json' || argv?.includes('--json')) {
    process.stdout.write(
      `${terminalSafeJson({ error: { code: 'COLIBRI_INVALID_INPUT', message, details: {} } }, 2)}\n`,
    );
  } else {
    process.stderr.write(`${terminalSafe(`colibri: ${message} [COLIBRI_INVALID_INPUT]`)}\n`);
  }
  this.exit(2);
};

export default hook;
