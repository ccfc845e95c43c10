import { ColibriError } from '@colibri/errors';
import { describe, expect, it } from 'vitest';
import { createSerialQueue, sharedSerialQueue } from './serial-queue.js';

describe('createSerialQueue', () => {
  it('runs turns one at a time, in call order', async () => {
    const queue = createSerialQueue();
    const log: string[] = [];
    let inside = 0;
    await Promise.all(
      ['a', 'b', 'c'].map(async (name) => {
        const end = await queue.acquire(10_000);
        inside += 1;
        expect(inside).toBe(1);
        log.push(`${name}:start`);
        await new Promise((resolve) => setImmediate(resolve));
        log.push(`${name}:end`);
        inside -= 1;
        end();
      }),
    );
    expect(log).toEqual(['a:start', 'a:end', 'b:start', 'b:end', 'c:start', 'c:end']);
  });

  it('times out with COLIBRI_VAULT_LOCK_TIMEOUT and does not block the callers behind it', async () => {
    const queue = createSerialQueue();
    const endFirst = await queue.acquire(1000);
    const waiting = queue.acquire(20);
    const third = queue.acquire(10_000);
    const error = await waiting.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ColibriError);
    expect((error as ColibriError).code).toBe('COLIBRI_VAULT_LOCK_TIMEOUT');
    endFirst();
    const endThird = await third;
    endThird();
  });

  it('one queue per key, process-wide', () => {
    expect(sharedSerialQueue('/a')).toBe(sharedSerialQueue('/a'));
    expect(sharedSerialQueue('/a')).not.toBe(sharedSerialQueue('/b'));
  });
});
