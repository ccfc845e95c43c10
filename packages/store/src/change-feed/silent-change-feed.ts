import type { ChangeSubscription } from '../store.js';

/**
 * SQLite's change feed: it never fires. One daemon owns an SQLite file and already knows every
 * change it makes; nobody else writes there (other processes on the same file are not a
 * supported way to run colibri), and the daemon's safety sweep re-reads the store anyway.
 */
export function silentChangeFeed(): ChangeSubscription {
  return Object.freeze({ live: false, close: async () => {} });
}
