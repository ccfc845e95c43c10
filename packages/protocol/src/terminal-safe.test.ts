import { describe, expect, it } from 'vitest';
import { terminalSafe, terminalSafeJson } from './terminal-safe.js';

describe('terminalSafe', () => {
  it('escapes what a terminal would act on: a title change, colours, CR, BEL, DEL, C1 CSI, bidi overrides', () => {
    const hostile = '\u001b]0;owned\u0007\u001b[31mFAKE ok\u001b[0m\rover\u007f\u009b2J\u202eevil';
    const safe = terminalSafe(hostile);
    expect(safe).toBe('\\x1b]0;owned\\x07\\x1b[31mFAKE ok\\x1b[0m\\rover\\x7f\\x9b2J\\u202eevil');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
    expect(safe).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/);
  });

  it('keeps text, tabs, newlines and ordinary Unicode as they are', () => {
    const text = 'agent acme-agent joined the hive ✓\n\tstep → done, 5 € (日本)';
    expect(terminalSafe(text)).toBe(text);
  });
});

describe('terminalSafeJson', () => {
  it('is valid JSON that reads back the same value, with nothing active left raw', () => {
    const value = { message: 'a\u001b[2Jb\u009bc\u2028d\u202ee', n: 1 };
    const text = terminalSafeJson(value, 2);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u202e]/);
    expect(JSON.parse(text)).toEqual(value);
  });
});
