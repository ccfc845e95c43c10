import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { hasNul, NUL_MESSAGE, noNul } from './no-nul.js';

describe('noNul', () => {
  it('refuses a string holding U+0000 anywhere, and only that', () => {
    const schema = v.pipe(v.string(), noNul());
    for (const bad of ['\u0000', 'a\u0000b', 'end\u0000']) {
      expect(hasNul(bad)).toBe(true);
      expect(v.safeParse(schema, bad).issues?.[0]?.message).toBe(NUL_MESSAGE);
    }
    for (const good of ['', 'plain', 'tab\tand newline\n', '\\u0000 spelled out', 'ü✓']) {
      expect(hasNul(good)).toBe(false);
      expect(v.parse(schema, good)).toBe(good);
    }
  });
});
