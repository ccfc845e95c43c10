import { describe, expect, it } from 'vitest';
import { AsyncMutex } from './async-mutex.js';

describe('AsyncMutex', () => {
  it('runs callers one at a time, in order, and survives a failure', async () => {
    const mutex = new AsyncMutex();
    const log: string[] = [];
    const step = (name: string, fail = false) =>
      mutex.run(async () => {
        log.push(`${name} start`);
        await new Promise((resolve) => setTimeout(resolve, 5));
        log.push(`${name} end`);
        if (fail) throw new Error(name);
        return name;
      });
    const results = await Promise.allSettled([step('a'), step('b', true), step('c')]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(log).toEqual(['a start', 'a end', 'b start', 'b end', 'c start', 'c end']);
  });
});
