/** What replaces a secret in text that leaves the vault (error messages, log lines). */
export const REDACTED = '[redacted]';

/**
 * Replaces every occurrence of each non-empty secret in `text` with `[redacted]`, longest first
 * (so a secret containing another is removed whole). Defence in depth for bw's stderr, which is
 * quoted in errors: the credentials and the session key must never leave the bw child.
 */
export function scrubSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  const ordered = secrets
    .filter((secret): secret is string => secret !== undefined && secret !== '')
    .sort((a, b) => b.length - a.length);
  let out = text;
  for (const secret of ordered) out = out.split(secret).join(REDACTED);
  return out;
}
