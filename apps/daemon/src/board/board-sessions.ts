import { randomBytes, timingSafeEqual } from 'node:crypto';
import { hashToken } from '../auth/hash-token.js';
import type { Viewer } from './board-data.js';

/** One signed-in browser. Lives in colibrid's memory only; the browser holds just its random id. */
export interface BoardSession {
  /**
   * Who signed in: the operator, or the agent whose token was presented (with its tenant). Every
   * request checks again that an agent is not retired (its token would be refused by the API).
   */
  readonly viewer: Viewer;
  /** Sent back with every form (hidden field) and checked on every POST. */
  readonly csrf: string;
  readonly createdAt: number;
  lastSeenAt: number;
  /** The fallback refresh the operator chose, in seconds; 0 = off (server-sent events only). */
  refreshSeconds: number;
}

/** Lifetimes and bounds, all in ms or counts. */
export interface BoardSessionOptions {
  readonly clock: () => Date;
  /** A session unused this long ends. Default 8 h. */
  readonly idleMs?: number;
  /** A session ends this long after login, used or not. Default 24 h. */
  readonly maxAgeMs?: number;
  /** A one-time login code is good for this long. Default 60 s. */
  readonly codeTtlMs?: number;
  /** Sessions kept at most (the least recently used goes first). Default 1000. */
  readonly maxSessions?: number;
  /** Unredeemed login codes kept at most (the oldest goes first). Default 100. */
  readonly maxCodes?: number;
}

/** The fallback refresh a new session starts with (seconds). */
export const DEFAULT_REFRESH_SECONDS = 30;

const newSecret = () => randomBytes(32).toString('base64url');

/**
 * The board's sign-ins: one-time login codes (what `colibri board` opens in the browser, so no
 * token ever appears in a URL) and sessions (a random id in an HttpOnly, SameSite=Strict cookie).
 * Both are kept by the hash of their secret, in memory: a restart of colibrid signs everyone out.
 */
export class BoardSessions {
  readonly #sessions = new Map<string, BoardSession>();
  readonly #codes = new Map<string, { viewer: Viewer; expiresAt: number }>();
  readonly #clock: () => Date;
  readonly #idleMs: number;
  readonly #maxAgeMs: number;
  readonly #codeTtlMs: number;
  readonly #maxSessions: number;
  readonly #maxCodes: number;

  constructor(options: BoardSessionOptions) {
    this.#clock = options.clock;
    this.#idleMs = options.idleMs ?? 8 * 3600_000;
    this.#maxAgeMs = options.maxAgeMs ?? 24 * 3600_000;
    this.#codeTtlMs = options.codeTtlMs ?? 60_000;
    this.#maxSessions = options.maxSessions ?? 1000;
    this.#maxCodes = options.maxCodes ?? 100;
  }

  /** How long a session cookie may live (its Max-Age). */
  get maxAgeSeconds(): number {
    return Math.floor(this.#maxAgeMs / 1000);
  }

  #now(): number {
    return this.#clock().getTime();
  }

  /** A one-time code that signs a browser in as `viewer`; good once, for a minute. */
  issueCode(viewer: Viewer): { code: string; expiresAt: Date } {
    const now = this.#now();
    for (const [hash, code] of this.#codes) if (code.expiresAt <= now) this.#codes.delete(hash);
    while (this.#codes.size >= this.#maxCodes) this.#codes.delete(this.#codes.keys().next().value!);
    const code = newSecret();
    const expiresAt = now + this.#codeTtlMs;
    this.#codes.set(hashToken(code), { viewer, expiresAt });
    return { code, expiresAt: new Date(expiresAt) };
  }

  /** The viewer behind `code`, once: the code is gone afterwards (used, expired or unknown → undefined). */
  redeemCode(code: string): Viewer | undefined {
    const hash = hashToken(code);
    const found = this.#codes.get(hash);
    this.#codes.delete(hash);
    if (found === undefined || found.expiresAt <= this.#now()) return undefined;
    return found.viewer;
  }

  /** Opens a session for `viewer`: returns the cookie value (the session's id, shown nowhere else). */
  open(viewer: Viewer): { id: string; session: BoardSession } {
    const now = this.#now();
    this.#evictExpired(now);
    while (this.#sessions.size >= this.#maxSessions) {
      this.#sessions.delete(this.#sessions.keys().next().value!);
    }
    const id = newSecret();
    const session: BoardSession = {
      viewer,
      csrf: newSecret(),
      createdAt: now,
      lastSeenAt: now,
      refreshSeconds: DEFAULT_REFRESH_SECONDS,
    };
    this.#sessions.set(hashToken(id), session);
    return { id, session };
  }

  /** The live session with this cookie value (and marks it used), or undefined. */
  find(id: string | undefined): BoardSession | undefined {
    if (id === undefined || id === '') return undefined;
    const hash = hashToken(id);
    const session = this.#sessions.get(hash);
    if (session === undefined) return undefined;
    const now = this.#now();
    if (this.#expired(session, now)) {
      this.#sessions.delete(hash);
      return undefined;
    }
    session.lastSeenAt = now;
    // Re-inserted: the map's order is least recently used first (for eviction).
    this.#sessions.delete(hash);
    this.#sessions.set(hash, session);
    return session;
  }

  /** Ends the session with this cookie value (sign out, or its token stopped working). */
  close(id: string | undefined): void {
    if (id !== undefined && id !== '') this.#sessions.delete(hashToken(id));
  }

  /** True when `presented` is the session's CSRF token (constant time). */
  checkCsrf(session: BoardSession, presented: unknown): boolean {
    if (typeof presented !== 'string') return false;
    const want = Buffer.from(session.csrf);
    const got = Buffer.from(presented);
    return want.length === got.length && timingSafeEqual(want, got);
  }

  /** How many sessions are open (for tests). */
  get size(): number {
    this.#evictExpired(this.#now());
    return this.#sessions.size;
  }

  #expired(session: BoardSession, now: number): boolean {
    return now - session.lastSeenAt >= this.#idleMs || now - session.createdAt >= this.#maxAgeMs;
  }

  #evictExpired(now: number): void {
    for (const [hash, session] of this.#sessions) {
      if (this.#expired(session, now)) this.#sessions.delete(hash);
    }
  }
}
