import type { VaultLogger } from '../../src/index.js';

/** A VaultLogger that keeps every line as the JSON a real logger would print. */
export function recordingLogger(): { logger: VaultLogger; lines: string[] } {
  const lines: string[] = [];
  const record = (level: string) => (fields: Record<string, unknown>, message: string) => {
    lines.push(JSON.stringify({ level, ...fields, msg: message }));
  };
  return { lines, logger: { info: record('info'), warn: record('warn') } };
}
