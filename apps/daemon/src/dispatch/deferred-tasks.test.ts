import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DeferredTasks } from './deferred-tasks.js';

describe('DeferredTasks', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('hands a task back once, when its time has come', () => {
    const due: string[] = [];
    const deferred = new DeferredTasks((id) => due.push(id));
    deferred.defer('t1', 1000, 0);
    deferred.defer('t2', 500, 0);
    expect(deferred.size).toBe(2);
    vi.advanceTimersByTime(499);
    expect(due).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(due).toEqual(['t2']);
    vi.advanceTimersByTime(500);
    expect(due).toEqual(['t2', 't1']);
    expect(deferred.size).toBe(0);
  });

  it('replaces an earlier deferral, ignores the same one, and forgets on request', () => {
    const due: string[] = [];
    const deferred = new DeferredTasks((id) => due.push(id));
    deferred.defer('t1', 1000, 0);
    deferred.defer('t1', 1000, 600); // the same time again: the timer stays as it was
    deferred.defer('t1', 2000, 0);
    vi.advanceTimersByTime(1500);
    expect(due).toEqual([]);
    vi.advanceTimersByTime(500);
    expect(due).toEqual(['t1']);
    deferred.defer('t2', 100, 0);
    expect(deferred.has('t2')).toBe(true);
    deferred.forget('t2');
    vi.advanceTimersByTime(1000);
    expect(due).toEqual(['t1']);
  });

  it('a time already past is due at once; clear drops every timer and later deferrals', () => {
    const due: string[] = [];
    const deferred = new DeferredTasks((id) => due.push(id));
    deferred.defer('late', 0, 5000);
    vi.advanceTimersByTime(0);
    expect(due).toEqual(['late']);
    deferred.defer('t1', 1000, 0);
    deferred.clear();
    deferred.defer('t2', 1000, 0);
    vi.advanceTimersByTime(5000);
    expect(due).toEqual(['late']);
    expect(deferred.size).toBe(0);
  });
});
