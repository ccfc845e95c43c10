import type { Store } from '@colibri/store';
import type { BoardChangeKind } from './board-changes.js';

/** Store members that only read (or manage connections): calling them changes nothing. */
const READS = /^(get|list|find|count|watch|close$|driver$)/;

/**
 * `store`, telling `onWrite` after each write it committed (a method that is not a read resolved).
 * Every part of colibrid writes through the store, so this one place sees every change this daemon
 * makes — requests, the liveness sweep, dispatch — also on SQLite, whose change feed never fires.
 * A new store method counts as a write unless its name says it reads, so nothing is missed.
 */
export function notifyingStore(store: Store, onWrite: (kind: BoardChangeKind) => void): Store {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, property) {
      // Read on the store itself, not the proxy: its getters and methods use private fields.
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== 'function' || typeof property !== 'string' || READS.test(property)) {
        return typeof value === 'function' ? value.bind(target) : value;
      }
      let method = wrapped.get(property);
      if (method === undefined) {
        const kind: BoardChangeKind = property.startsWith('recordHeartbeat') ? 'heartbeat' : 'hive';
        method = async (...args: unknown[]) => {
          const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          onWrite(kind);
          return result;
        };
        wrapped.set(property, method);
      }
      return method;
    },
  });
}
