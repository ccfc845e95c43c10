import type { Store } from '@colibri/store';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BoardChanges } from './board-changes.js';
import { notifyingStore } from './notifying-store.js';

afterEach(() => vi.useRealTimers());

describe('BoardChanges', () => {
  it('coalesces a burst into one notification per listener', () => {
    vi.useFakeTimers();
    const changes = new BoardChanges({ coalesceMs: 100 });
    const seen: string[] = [];
    const stop = changes.subscribe(() => seen.push('a'));
    changes.subscribe(() => seen.push('b'));
    for (let i = 0; i < 50; i++) changes.notify('hive');
    vi.advanceTimersByTime(99);
    expect(seen).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(seen).toEqual(['a', 'b']);
    stop();
    changes.notify('hive');
    vi.advanceTimersByTime(100);
    expect(seen).toEqual(['a', 'b', 'b']);
  });

  it('lets heartbeats alone through at most every heartbeatEveryMs', () => {
    vi.useFakeTimers();
    const changes = new BoardChanges({ coalesceMs: 10, heartbeatEveryMs: 1000 });
    let n = 0;
    changes.subscribe(() => n++);
    changes.notify('heartbeat');
    vi.advanceTimersByTime(10);
    changes.notify('heartbeat');
    vi.advanceTimersByTime(10);
    expect(n).toBe(1);
    changes.notify('hive');
    vi.advanceTimersByTime(10);
    expect(n).toBe(2);
    vi.advanceTimersByTime(1000);
    changes.notify('heartbeat');
    vi.advanceTimersByTime(10);
    expect(n).toBe(3);
    changes.close();
    changes.notify('hive');
    vi.advanceTimersByTime(10);
    expect(n).toBe(3);
  });
});

describe('notifyingStore', () => {
  it('reports writes after they resolve, not reads, and not failed writes', async () => {
    const calls: string[] = [];
    const fake = {
      driver: 'sqlite',
      async getTask(id: string) {
        calls.push(`getTask ${id}`);
        return { id };
      },
      async listTasks() {
        return [];
      },
      async intakeTask() {
        calls.push('intakeTask');
        return { id: 't' };
      },
      async recordHeartbeat() {
        return {};
      },
      async transitionTask() {
        throw new Error('refused');
      },
    } as unknown as Store;
    const writes: string[] = [];
    const store = notifyingStore(fake, (kind) => writes.push(kind));
    expect(store.driver).toBe('sqlite');
    await store.getTask('x');
    await store.listTasks();
    expect(writes).toEqual([]);
    const task = await store.intakeTask({ title: 't', requiredCapabilities: [] });
    expect(task).toEqual({ id: 't' });
    expect(writes).toEqual(['hive']);
    await store.recordHeartbeat('a');
    expect(writes).toEqual(['hive', 'heartbeat']);
    await expect(store.transitionTask({ taskId: 't', to: 'done' })).rejects.toThrow('refused');
    expect(writes).toEqual(['hive', 'heartbeat']);
    expect(calls).toEqual(['getTask x', 'intakeTask']);
  });

  it('works with a store whose getters and methods use private fields', async () => {
    class PrivateStore {
      readonly #driver = 'postgres';
      #n = 0;
      get driver() {
        return this.#driver;
      }
      async registerAgent() {
        return ++this.#n;
      }
    }
    const writes: string[] = [];
    const store = notifyingStore(new PrivateStore() as unknown as Store, (kind) => writes.push(kind));
    expect(store.driver).toBe('postgres');
    expect(await store.registerAgent({ name: 'a', capabilities: [], tokenHash: 'x' })).toBe(1);
    expect(writes).toEqual(['hive']);
  });
});
