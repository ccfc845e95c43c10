import { open } from 'node:fs/promises';

/** The most of a log's end that is read: enough for the last lines, bounded for a runaway log. */
const TAIL_BYTES = 64 * 1024;
/** What replaces a log line that held a secret: the line is withheld whole, not partly masked. */
export const WITHHELD_LINE = '[line withheld: it contained a secret]';

export interface ReadLogTailOptions {
  /** How many lines. Default 20. */
  readonly lines?: number;
  /** Values that must never be shown (the join token): a line containing one is withheld whole. */
  readonly secrets?: readonly string[];
}

/**
 * The last lines of an agent's log, for an error report: trailing blank lines dropped, every line
 * holding a secret replaced by {@link WITHHELD_LINE}. A log that cannot be read gives `[]` (the
 * report then says so instead of failing a second time).
 */
export async function readLogTail(path: string, options: ReadLogTailOptions = {}): Promise<string[]> {
  const count = options.lines ?? 20;
  const secrets = (options.secrets ?? []).filter((secret) => secret.length > 0);
  let text: string;
  try {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, TAIL_BYTES);
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, size - length);
      text = buffer.toString('utf8');
      // A partial first line (we started reading mid-line) is not worth showing.
      if (size > length) text = text.slice(text.indexOf('\n') + 1);
    } finally {
      await handle.close();
    }
  } catch {
    return [];
  }
  const trimmed = text.replace(/\s+$/, '');
  if (trimmed === '') return [];
  return trimmed
    .split('\n')
    .slice(-count)
    .map((line) => (secrets.some((secret) => line.includes(secret)) ? WITHHELD_LINE : line.trimEnd()));
}
