import { describe, expect, it } from 'vitest';
import { destroyArgs, parseBastilleVersion } from './bastille-version.js';

describe('parseBastilleVersion', () => {
  it('reads what each version prints', () => {
    expect(parseBastilleVersion('0.14.20250420\n')).toEqual({ text: '0.14.20250420', major: 0, minor: 14 });
    expect(parseBastilleVersion('\n1.4.4\n')).toEqual({ text: '1.4.4', major: 1, minor: 4 });
    expect(parseBastilleVersion('1.0.20250714')).toEqual({ text: '1.0.20250714', major: 1, minor: 0 });
  });

  it('ignores colour escapes and surrounding noise', () => {
    expect(parseBastilleVersion('\u001b[0;32m1.4.4\u001b[0m\n')).toMatchObject({ text: '1.4.4' });
  });

  it('is undefined when there is no version', () => {
    expect(parseBastilleVersion('Usage: bastille command')).toBeUndefined();
    expect(parseBastilleVersion('')).toBeUndefined();
  });
});

describe('destroyArgs', () => {
  it('adds -y on 1.x only (1.x prompts without it, 0.x rejects it)', () => {
    expect(destroyArgs({ text: '0.14.20250420', major: 0, minor: 14 }, 'acme')).toEqual(['destroy', 'acme']);
    expect(destroyArgs({ text: '1.0.20250714', major: 1, minor: 0 }, 'acme')).toEqual([
      'destroy',
      '-y',
      'acme',
    ]);
    expect(destroyArgs({ text: '1.4.4', major: 1, minor: 4 }, 'acme')).toEqual(['destroy', '-y', 'acme']);
  });
});
