import { scrubSecrets, terminalSafe } from '@colibri/protocol';

/** How much of a handler's stderr is reported with its outcome and kept by the daemon: 64 KiB. */
export const STDERR_TAIL_BYTES = 64 * 1024;

/**
 * How many raw bytes of stderr to keep while the handler runs, so that a secret straddling the
 * 64 KiB cut is still seen whole (and scrubbed) rather than stored as its tail half.
 */
export function stderrKeepBytes(secrets: readonly string[], tailBytes = STDERR_TAIL_BYTES): number {
  return tailBytes + Math.max(0, ...secrets.map((secret) => Buffer.byteLength(secret)));
}

/** The last `maxBytes` of `text` as UTF-8, never starting inside a character. */
export function lastBytes(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  // A cut inside a multi-byte character decodes to U+FFFD first: drop that partial character.
  let out = bytes.subarray(bytes.length - maxBytes).toString('utf8');
  while (out.startsWith('\uFFFD') || Buffer.byteLength(out) > maxBytes) out = out.slice(1);
  return out;
}

/**
 * A handler's stderr as it may leave the agent: every secret (each `.env` value, the agent's own
 * token) replaced by `[redacted]`, every character a terminal would act on written as a visible
 * escape (ESC, CR, NUL, bidi overrides …), then cut to the last `maxBytes` of UTF-8. Scrubbed
 * before the cut and before escaping, so neither can split a secret out of sight.
 */
export function stderrTail(raw: Buffer, secrets: readonly string[], maxBytes = STDERR_TAIL_BYTES): string {
  return lastBytes(terminalSafe(scrubSecrets(raw.toString('utf8'), secrets)), maxBytes);
}
