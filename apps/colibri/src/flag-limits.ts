// The daemon's request limits, repeated here so that flag definitions (loaded on every run of a
// command) need not import the wire contract's schemas; flag-limits.test.ts keeps them equal.

/** Longest `poll --wait` the daemon accepts, in seconds. */
export const MAX_POLL_WAIT_SECONDS = 60;

/** Longest `join-token --ttl` the daemon accepts, in seconds (7 days). */
export const MAX_JOIN_TOKEN_TTL_SECONDS = 7 * 24 * 3600;
