import { describe, expect, it } from 'vitest';
import { levenshtein, suggestTag } from './suggest-tag.js';

describe('suggestTag', () => {
  const known = ['linux', 'freebsd', 'image-render', 'python3.12', 'gpu', 'screenshot'];

  it.each([
    ['linx', 'linux'],
    ['lunix', 'linux'],
    ['freebds', 'freebsd'],
    ['image_render', 'image-render'],
    ['python3.11', 'python3.12'],
    ['screenshots', 'screenshot'],
    ['docker', null],
    ['windows', null],
  ])('%j → %j', (tag, suggestion) => {
    expect(suggestTag(tag, known)).toBe(suggestion);
  });

  it('breaks ties alphabetically, whatever the order of the known tags', () => {
    expect(suggestTag('gpx', ['gpz', 'gpy'])).toBe('gpy');
    expect(suggestTag('gpx', ['gpy', 'gpz'])).toBe('gpy');
  });

  it('computes edit distance', () => {
    expect(levenshtein('kitten', 'sitting')).toBe(3);
    expect(levenshtein('', 'abc')).toBe(3);
    expect(levenshtein('same', 'same')).toBe(0);
    expect(levenshtein('abcdef', 'uvwxyz', 2)).toBe(3);
  });
});
