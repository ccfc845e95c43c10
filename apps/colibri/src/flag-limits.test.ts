import * as api from '@colibri/api';
import { describe, expect, it } from 'vitest';
import { MAX_JOIN_TOKEN_TTL_SECONDS, MAX_POLL_WAIT_SECONDS } from './flag-limits.js';

describe('flag limits', () => {
  it("equal the daemon's request limits", () => {
    expect(MAX_POLL_WAIT_SECONDS).toBe(api.MAX_POLL_WAIT_SECONDS);
    expect(MAX_JOIN_TOKEN_TTL_SECONDS).toBe(api.MAX_JOIN_TOKEN_TTL_SECONDS);
  });
});
