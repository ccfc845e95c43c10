import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** sha256 of a token, lower-case hex: the only form in which a token reaches the store or a map. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A new bearer token (agent or join): 32 random bytes, base64url. Shown once, stored hashed. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Compares two hex digests of equal length in constant time. */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}
