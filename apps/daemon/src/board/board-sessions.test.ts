import { describe, expect, it } from 'vitest';
import type { Viewer } from './board-data.js';
import { BoardSessions } from './board-sessions.js';

const operator: Viewer = { kind: 'operator' };
const agent = (agentId: string): Viewer => ({ kind: 'agent', agentId, tenant: 'acme' });

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => new Date(now), advance: (ms: number) => (now += ms) };
}

describe('BoardSessions', () => {
  it('redeems a login code once, and not after it expired', () => {
    const time = clock();
    const sessions = new BoardSessions({ clock: time.now, codeTtlMs: 60_000 });
    const { code } = sessions.issueCode(operator);
    expect(sessions.redeemCode(code)).toBe(operator);
    expect(sessions.redeemCode(code)).toBeUndefined();
    const late = sessions.issueCode(operator).code;
    time.advance(60_000);
    expect(sessions.redeemCode(late)).toBeUndefined();
    expect(sessions.redeemCode('not-a-code')).toBeUndefined();
  });

  it('finds a session by its cookie value until it is idle too long or too old', () => {
    const time = clock();
    const sessions = new BoardSessions({ clock: time.now, idleMs: 1000, maxAgeMs: 2500 });
    const { id, session } = sessions.open(operator);
    expect(id).toMatch(/^[\w-]{43}$/);
    expect(sessions.find(id)).toBe(session);
    time.advance(900);
    expect(sessions.find(id)).toBe(session);
    time.advance(900);
    expect(sessions.find(id)).toBe(session);
    time.advance(900); // 2700 ms after login: past the absolute age, though used 900 ms ago
    expect(sessions.find(id)).toBeUndefined();
    const idle = sessions.open(operator).id;
    time.advance(1000);
    expect(sessions.find(idle)).toBeUndefined();
    expect(sessions.find(undefined)).toBeUndefined();
    expect(sessions.find('')).toBeUndefined();
  });

  it('closes a session, and evicts the least recently used past the bound', () => {
    const time = clock();
    const sessions = new BoardSessions({ clock: time.now, maxSessions: 2 });
    const a = sessions.open(agent('a')).id;
    const b = sessions.open(agent('b')).id;
    sessions.find(a); // b is now the least recently used
    const c = sessions.open(agent('c')).id;
    expect(sessions.find(b)).toBeUndefined();
    expect(sessions.find(a)?.viewer).toEqual(agent('a'));
    sessions.close(c);
    expect(sessions.find(c)).toBeUndefined();
    expect(sessions.size).toBe(1);
  });

  it('checks the CSRF token exactly', () => {
    const sessions = new BoardSessions({ clock: clock().now });
    const { session } = sessions.open(operator);
    expect(sessions.checkCsrf(session, session.csrf)).toBe(true);
    expect(sessions.checkCsrf(session, `${session.csrf}x`)).toBe(false);
    expect(sessions.checkCsrf(session, '')).toBe(false);
    expect(sessions.checkCsrf(session, undefined)).toBe(false);
    expect(sessions.checkCsrf(session, [session.csrf])).toBe(false);
  });

  it('keeps a bounded number of unredeemed codes', () => {
    const sessions = new BoardSessions({ clock: clock().now, maxCodes: 2 });
    const first = sessions.issueCode(agent('1')).code;
    sessions.issueCode(agent('2'));
    const third = sessions.issueCode(agent('3')).code;
    expect(sessions.redeemCode(first)).toBeUndefined();
    expect(sessions.redeemCode(third)).toEqual(agent('3'));
  });
});
