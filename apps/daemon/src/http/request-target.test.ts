import { describe, expect, it } from 'vitest';
import { splitTarget } from './request-target.js';

/** What colibrid did before: the URL's path and query, or the error it threw. */
const viaUrl = (target: string) => {
  try {
    const { pathname, search } = new URL(target, 'http://colibri');
    return { pathname, search };
  } catch (error) {
    return { error: (error as Error).message };
  }
};
const split = (target: string) => {
  try {
    return splitTarget(target);
  } catch (error) {
    return { error: (error as Error).message };
  }
};

describe('splitTarget', () => {
  it('gives what URL gives for every target, plain or not', () => {
    const targets = [
      '/',
      '/v1/tasks',
      '/v1/tasks/',
      '/v1/agents/0f8e-ab_12/poll',
      '/v1/agents/abc/poll?wait=2',
      '/v1/tasks?status=parked&status=running&limit=10',
      '/v1/tasks?',
      '/v1/tasks?a=b+c&d=e,f:g*h~i.j',
      '/v1//tasks',
      '//v1/tasks',
      '/v1/../healthz',
      '/v1/./tasks',
      '/v1/%2e%2e/healthz',
      '/v1/tasks/%41',
      '/v1/tasks?x=%20y',
      '/v1/tasks?x=a b',
      '/v1/tasks#frag',
      '/v1/tasks?x=1#frag',
      '/v1\\tasks',
      '/v1/t\u00e9sk',
      '/v1/tasks?x=\u00e9',
      '/v1/tasks?x="y"',
      '/v1/tasks?x=<y>',
      '/v1/tasks??x',
      '/v1/tasks?x=1?y=2',
      'http://other/v1/tasks',
      '*',
      '',
    ];
    for (const target of targets) expect(split(target), target).toEqual(viaUrl(target));
  });

  it('gives what URL gives for random targets over a mixed alphabet', () => {
    const alphabet = 'ab/?=&.%2e_-+~#\\ :*\u00e9';
    let seed = 14;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    let plain = 0;
    for (let i = 0; i < 5000; i++) {
      let target = '/';
      const length = Math.floor(random() * 16);
      for (let j = 0; j < length; j++) target += alphabet[Math.floor(random() * alphabet.length)];
      expect(split(target), target).toEqual(viaUrl(target));
      if (/^[a-z/?=&_+\-~:*]*$/.test(target)) plain++;
    }
    // Both paths are exercised: targets the fast path splits and targets URL normalizes.
    expect(plain).toBeGreaterThan(100);
  });
});
