import { ColibriError } from '@colibri/errors';
import type { DialectAdapter } from '../dialect/dialect-adapter.js';
import type { ChangeListener, ChangeSubscription, WatchChangesOptions } from '../store.js';

/**
 * Starts the dialect's change feed for `listener` and tracks it in `open` until it is closed (the
 * store closes whatever is still open when it closes). A closed store opens none.
 */
export async function openChangeFeed(
  adapter: DialectAdapter,
  open: Set<ChangeSubscription>,
  listener: ChangeListener,
  options: WatchChangesOptions,
  storeClosed: boolean,
): Promise<ChangeSubscription> {
  if (typeof listener !== 'function') {
    throw new ColibriError('COLIBRI_INVALID_INPUT', 'watchChanges: the listener must be a function', {
      field: 'listener',
    });
  }
  if (options.onError !== undefined && typeof options.onError !== 'function') {
    throw new ColibriError('COLIBRI_INVALID_INPUT', 'watchChanges: onError must be a function', {
      field: 'onError',
    });
  }
  if (options.ignoreOwnCommits !== undefined && typeof options.ignoreOwnCommits !== 'boolean') {
    throw new ColibriError('COLIBRI_INVALID_INPUT', 'watchChanges: ignoreOwnCommits must be a boolean', {
      field: 'ignoreOwnCommits',
    });
  }
  if (storeClosed) {
    throw new ColibriError('COLIBRI_STORE_UNAVAILABLE', 'watchChanges: the store is closed', {
      driver: adapter.driver,
    });
  }
  const feed = await adapter.watchChanges(listener, options);
  const subscription: ChangeSubscription = Object.freeze({
    live: feed.live,
    async close() {
      open.delete(subscription);
      await feed.close();
    },
  });
  open.add(subscription);
  return subscription;
}
