import { ColibriError } from '@colibri/errors';

/** The tool groups, chosen with `--toolsets` (CLI) or `?toolsets=` (colibrid's `/mcp`). */
export const TOOLSETS = ['intake', 'observe', 'worker', 'admin'] as const;
export type Toolset = (typeof TOOLSETS)[number];

/** What a server offers when nobody chose: hand work to the hive and look at it. */
export const DEFAULT_TOOLSETS: readonly Toolset[] = Object.freeze(['intake', 'observe']);

/**
 * Parses a comma-separated toolset list (`intake,worker`; `all` = every group). Refuses an unknown
 * or empty list with `COLIBRI_INVALID_INPUT` naming `what` (the flag or query parameter).
 */
export function parseToolsets(text: string, what = '--toolsets'): readonly Toolset[] {
  const names = text
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
  if (names.length === 0) {
    throw new ColibriError(
      'COLIBRI_INVALID_INPUT',
      `${what}: give at least one of ${TOOLSETS.join(', ')} (or all)`,
      { field: what },
    );
  }
  const chosen = new Set<Toolset>();
  for (const name of names) {
    if (name === 'all') {
      for (const toolset of TOOLSETS) chosen.add(toolset);
    } else if ((TOOLSETS as readonly string[]).includes(name)) {
      chosen.add(name as Toolset);
    } else {
      throw new ColibriError(
        'COLIBRI_INVALID_INPUT',
        `${what}: unknown toolset ${JSON.stringify(name)}; use ${TOOLSETS.join(', ')} or all`,
        { field: what, toolset: name },
      );
    }
  }
  return Object.freeze(TOOLSETS.filter((toolset) => chosen.has(toolset)));
}
