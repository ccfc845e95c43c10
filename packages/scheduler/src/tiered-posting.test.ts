import { describe, expect, it } from 'vitest';
import { TieredPosting } from './tiered-posting.js';

const entry = (name: string, tagCount: number) => ({ name, tagCount });

describe('TieredPosting', () => {
  it('keeps tiers sorted by tag count and iterates fewest tags first', () => {
    const posting = new TieredPosting<{ name: string; tagCount: number }>();
    const [a, b, c, d] = [entry('a', 3), entry('b', 1), entry('c', 5), entry('d', 3)];
    for (const e of [a, b, c, d]) posting.add(e);
    expect(posting.size).toBe(4);
    expect(posting.tagCounts).toEqual([1, 3, 5]);
    expect([...posting].map((e) => e.name)).toEqual(['b', 'a', 'd', 'c']);
    expect([...(posting.tier(3) ?? [])].map((e) => e.name)).toEqual(['a', 'd']);
  });

  it('drops a tier when its last entry leaves', () => {
    const posting = new TieredPosting<{ name: string; tagCount: number }>();
    const [a, b] = [entry('a', 2), entry('b', 4)];
    posting.add(a);
    posting.add(b);
    expect(posting.delete(a)).toBe(true);
    expect(posting.delete(a)).toBe(false);
    expect(posting.tagCounts).toEqual([4]);
    expect(posting.tier(2)).toBeUndefined();
    expect(posting.size).toBe(1);
  });
});
