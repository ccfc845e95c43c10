import { describe, expect, it } from 'vitest';
import { keepYoungGenerationSmall } from './small-young-generation.js';

describe('keepYoungGenerationSmall', () => {
  it("keeps an operator's own young-generation flag, from argv or NODE_OPTIONS", () => {
    expect(keepYoungGenerationSmall(['--max-semi-space-size=8'], undefined)).toBe(false);
    expect(keepYoungGenerationSmall([], '--enable-source-maps --semi-space-growth-factor=2')).toBe(false);
  });

  it('otherwise sets the growth factor', () => {
    expect(keepYoungGenerationSmall(['--enable-source-maps'], '')).toBe(true);
  });
});
