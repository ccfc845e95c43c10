/** A Bastille version as `bastille --version` prints it (`0.14.20250420`, `1.4.4`). */
export interface BastilleVersion {
  /** The printed text, e.g. `1.4.4`: recorded in preflight facts and in each jail's record. */
  readonly text: string;
  readonly major: number;
  readonly minor: number;
}

// Colours are off without a tty, but a wrapper may force them: strip escapes before parsing.
// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes are control characters.
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

/**
 * Parses `bastille --version` output. 0.x prints it on stdout, 1.x on stderr (`info 1`), so the
 * caller passes both. Undefined when no `MAJOR.MINOR…` is found.
 */
export function parseBastilleVersion(output: string): BastilleVersion | undefined {
  const match = /(?:^|\s)v?((\d+)\.(\d+)(?:\.[0-9A-Za-z]+)*)(?=\s|$)/.exec(output.replace(ANSI, ''));
  if (match === null) return undefined;
  return { text: match[1] as string, major: Number(match[2]), minor: Number(match[3]) };
}

/**
 * `bastille destroy` for one stopped jail, with the flags its version needs: 1.x prompts unless
 * `-y` (and with no tty reads an empty answer: exit 1); 0.x has no `-y` and rejects it. `-a`
 * (auto-stop) is never used: the driver stops the jail itself and verifies it stopped.
 */
export function destroyArgs(version: BastilleVersion, jail: string): string[] {
  return version.major >= 1 ? ['destroy', '-y', jail] : ['destroy', jail];
}
