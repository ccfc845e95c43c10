import { describe, expect, it } from 'vitest';
import { SharedGate } from './shared-gate.js';

/** A promise settled from outside, so the test orders every step itself (no timers). */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('SharedGate', () => {
  it('runs shared callers side by side, starting in the same tick', async () => {
    const gate = new SharedGate();
    const log: string[] = [];
    const hold = deferred();
    const a = gate.shared(async () => {
      log.push('a start');
      await hold.promise;
      log.push('a end');
    });
    const b = gate.shared(async () => {
      log.push('b start');
      await hold.promise;
      log.push('b end');
    });
    expect(log).toEqual(['a start', 'b start']);
    expect(gate.inFlight).toBe(2);
    hold.resolve();
    await Promise.all([a, b]);
    expect(gate.inFlight).toBe(0);
  });

  it('an exclusive run waits for the shared ones in flight and holds back new ones until it is done', async () => {
    const gate = new SharedGate();
    const log: string[] = [];
    const first = deferred();
    const exclusiveHold = deferred();
    const a = gate.shared(async () => {
      log.push('a start');
      await first.promise;
      log.push('a end');
    });
    const x = gate.exclusive(async () => {
      log.push('x start');
      await exclusiveHold.promise;
      log.push('x end');
    });
    const b = gate.shared(async () => {
      log.push('b start');
    });
    await Promise.resolve();
    expect(log).toEqual(['a start']);
    first.resolve();
    await a;
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(['a start', 'a end', 'x start']);
    exclusiveHold.resolve();
    await Promise.all([x, b]);
    expect(log).toEqual(['a start', 'a end', 'x start', 'x end', 'b start']);
  });

  it('a failing run releases the gate', async () => {
    const gate = new SharedGate();
    await expect(gate.shared(async () => Promise.reject(new Error('s')))).rejects.toThrow('s');
    await expect(gate.exclusive(async () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    await expect(gate.shared(async () => 'ok')).resolves.toBe('ok');
    expect(gate.inFlight).toBe(0);
  });
});
