/**
 * Characters a terminal acts on instead of printing: C0 controls but tab and newline (ESC starts
 * colour, cursor and title sequences; CR overwrites a line; BEL), DEL, the C1 controls (U+0080-
 * U+009F: 0x9B is an 8-bit CSI), and the invisible Unicode that reorders or hides what is read
 * (bidi marks, embeddings, overrides and isolates; line and paragraph separators).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const ACTIVE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** In JSON text: C0 controls are escaped by JSON.stringify already; these are not. */
const ACTIVE_IN_JSON = /[\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const hex = (char: string, width: number) =>
  (char.codePointAt(0) as number).toString(16).padStart(width, '0');

/**
 * `text` as a terminal may show it: every active character (see above) written as a visible
 * escape (`\x1b`, `\r`, `\u202e`), tab and newline kept. The one function every line colibri
 * prints for people passes through (log tails, step lines, reports, errors, warnings): an agent's
 * output or a tenant's name can never recolour the screen, retitle the window or fake a line.
 */
export function terminalSafe(text: string): string {
  return text.replace(ACTIVE, (char) =>
    char === '\r' ? '\\r' : char < '\u0100' ? `\\x${hex(char, 2)}` : `\\u${hex(char, 4)}`,
  );
}

/** A value as JSON text for the terminal: JSON.stringify, then `\uXXXX` for what it leaves raw (still valid JSON). */
export function terminalSafeJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(ACTIVE_IN_JSON, (char) => `\\u${hex(char, 4)}`);
}
