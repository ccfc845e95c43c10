import { describe, expect, it } from 'vitest';
import { KeyedMutex } from './keyed-mutex.js';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

describe('KeyedMutex', () => {
  it('runs one at a time per key, in order, and other keys alongside', async () => {
    const mutex = new KeyedMutex();
    const seen: string[] = [];
    const first = gate();
    const a1 = mutex.run('acme', async () => {
      seen.push('acme-1 start');
      await first.opened;
      seen.push('acme-1 end');
      return 1;
    });
    const a2 = mutex.run('acme', async () => {
      seen.push('acme-2');
      return 2;
    });
    const b = mutex.run('globex', async () => {
      seen.push('globex');
      return 3;
    });
    expect(await b).toBe(3);
    expect(seen).toEqual(['acme-1 start', 'globex']);
    first.open();
    expect(await Promise.all([a1, a2])).toEqual([1, 2]);
    expect(seen).toEqual(['acme-1 start', 'globex', 'acme-1 end', 'acme-2']);
  });

  it('a failed run does not block the next one, and idle keys are forgotten', async () => {
    const mutex = new KeyedMutex();
    await expect(mutex.run('acme', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await mutex.run('acme', async () => 'next')).toBe('next');
    await Promise.resolve();
    await Promise.resolve();
    expect(mutex.size).toBe(0);
  });
});
