import { parseCapabilities } from '@colibri/protocol';
import { describe, expect, it } from 'vitest';
import { validateCapabilities } from './validate-capabilities.js';

describe('validateCapabilities', () => {
  it('is parseCapabilities from @colibri/protocol', () => {
    expect(validateCapabilities).toBe(parseCapabilities);
    expect(validateCapabilities(['linux', 'image-render'])).toEqual(['linux', 'image-render']);
  });

  it('names the bad tag', () => {
    try {
      validateCapabilities(['linux', 'Screenshot']);
      expect.unreachable();
    } catch (error) {
      expect((error as { code?: unknown }).code).toBe('COLIBRI_INVALID_CAPABILITY');
      expect((error as Error).message).toContain('did you mean "screenshot"');
    }
  });
});
