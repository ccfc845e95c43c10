import { ColibriError } from '@colibri/errors';
import type { ChangeListener, ChangeSubscription, StoreChange, WatchChangesOptions } from '../store.js';
import { CHANGE_CHANNEL } from './change-channel.js';
import { parseNotification } from './parse-change.js';
import { type BackoffBounds, DEFAULT_BACKOFF, reconnectDelayMs } from './reconnect-delay.js';

/** The little of a connected `pg.Client` the feed uses (a small port, so tests can pass a fake). */
export interface ListenConnection {
  /** Runs one statement (LISTEN, the ping). */
  query(text: string): Promise<unknown>;
  /** Registers the feed's handlers: each notification, and the connection failing or closing. */
  handle(handlers: {
    readonly notification: (channel: string, payload: string | undefined) => void;
    readonly lost: (error: Error) => void;
  }): void;
  /** Closes the connection (idempotent). */
  end(): Promise<void>;
}

/** What {@link watchPostgresChanges} is built from. */
export interface PostgresChangeFeedDeps {
  /** Opens a new dedicated connection (never a pooled one: LISTEN belongs to a session). */
  readonly connect: () => Promise<ListenConnection>;
  readonly backoff?: BackoffBounds;
  /** How often the idle connection is checked with `select 1` (a silently dead one is replaced). Default 30 s. */
  readonly pingIntervalMs?: number;
  /** How long a ping may take before the connection counts as dead. Default 10 s. */
  readonly pingTimeoutMs?: number;
  /** Injected for tests. */
  readonly random?: () => number;
  /**
   * The `colibri.origin` this store's own sessions commit under: with `ignoreOwnCommits`, the
   * notifications carrying it are not delivered.
   */
  readonly origin?: string;
}

const RESYNC: StoreChange = Object.freeze({
  kind: 'resync',
  reason: 'the change feed reconnected after losing its connection; changes in between were missed',
});

function unavailable(what: string, cause: unknown): ColibriError {
  const message = cause instanceof Error ? cause.message : String(cause);
  return new ColibriError(
    'COLIBRI_STORE_UNAVAILABLE',
    `the PostgreSQL change feed ${what}: ${message}`,
    { driver: 'postgres' },
    { cause },
  );
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * LISTENs on {@link CHANGE_CHANNEL} over one dedicated connection and hands each change to
 * `listener`. A lost connection (an error, the server closing it, or a ping left unanswered) is
 * reported to `onError` and replaced, with jittered exponential backoff, for as long as the
 * subscription is open; once listening again the listener gets `{ kind: 'resync' }`, because
 * whatever was committed in between was never delivered. Resolves once the first LISTEN is in
 * effect; fails with `COLIBRI_STORE_UNAVAILABLE` if it cannot be.
 */
export async function watchPostgresChanges(
  deps: PostgresChangeFeedDeps,
  listener: ChangeListener,
  options: WatchChangesOptions = {},
): Promise<ChangeSubscription> {
  const backoff = deps.backoff ?? DEFAULT_BACKOFF;
  const random = deps.random ?? Math.random;
  const pingIntervalMs = deps.pingIntervalMs ?? 30_000;
  const pingTimeoutMs = deps.pingTimeoutMs ?? 10_000;
  const ownOrigin = options.ignoreOwnCommits === true ? deps.origin : undefined;
  const closing = new AbortController();
  const report = (error: Error) => {
    try {
      options.onError?.(error);
    } catch {
      // An error handler that throws must not take the feed down with it.
    }
  };
  const deliver = (change: StoreChange) => {
    if (closing.signal.aborted) return;
    try {
      listener(change);
    } catch (error) {
      report(
        new ColibriError(
          'COLIBRI_INTERNAL',
          `a change listener threw: ${(error as Error)?.message ?? String(error)}`,
          { change },
          { cause: error },
        ),
      );
    }
  };

  let current: ListenConnection | undefined;
  let pingTimer: NodeJS.Timeout | undefined;
  let reconnecting: Promise<void> | undefined;

  /** Opens a connection and LISTENs; the connection is live once this resolves. */
  async function open(): Promise<void> {
    const connection = await deps.connect();
    let lost = false;
    const onLost = (error: Error) => {
      if (lost) return;
      lost = true;
      if (current === connection) {
        current = undefined;
        clearTimeout(pingTimer);
      }
      connection.end().catch(() => {});
      if (closing.signal.aborted) return;
      report(unavailable('lost its connection (reconnecting)', error));
      reconnecting ??= reconnect().finally(() => {
        reconnecting = undefined;
      });
    };
    connection.handle({
      lost: onLost,
      notification: (channel, payload) => {
        if (lost || channel !== CHANGE_CHANNEL) return;
        const read = parseNotification(payload);
        if ('error' in read) report(new ColibriError('COLIBRI_INTERNAL', `change feed: ${read.error}`));
        else if (ownOrigin === undefined || read.origin !== ownOrigin) deliver(read.change);
      },
    });
    try {
      await connection.query(`LISTEN ${CHANGE_CHANNEL}`);
    } catch (error) {
      lost = true;
      await connection.end().catch(() => {});
      throw error;
    }
    if (closing.signal.aborted) {
      lost = true;
      await connection.end().catch(() => {});
      return;
    }
    current = connection;
    schedulePing(connection, () => onLost(new Error(`no answer to a ping within ${pingTimeoutMs} ms`)));
  }

  function schedulePing(connection: ListenConnection, dead: () => void): void {
    pingTimer = setTimeout(async () => {
      if (current !== connection) return;
      let timeout: NodeJS.Timeout | undefined;
      const answered = await Promise.race([
        connection.query('select 1').then(
          () => true,
          () => false,
        ),
        new Promise<false>((resolve) => {
          timeout = setTimeout(() => resolve(false), pingTimeoutMs);
        }),
      ]);
      clearTimeout(timeout);
      if (current !== connection) return;
      if (answered) schedulePing(connection, dead);
      else dead();
    }, pingIntervalMs);
    pingTimer.unref();
  }

  async function reconnect(): Promise<void> {
    for (let attempt = 0; !closing.signal.aborted; attempt++) {
      await pause(reconnectDelayMs(attempt, backoff, random), closing.signal);
      if (closing.signal.aborted) return;
      try {
        await open();
        deliver(RESYNC);
        return;
      } catch (error) {
        report(unavailable(`cannot reconnect (attempt ${attempt + 1}; retrying)`, error));
      }
    }
  }

  try {
    await open();
  } catch (error) {
    throw unavailable('cannot LISTEN (check COLIBRI_DATABASE_URL and that the server is running)', error);
  }

  return {
    live: true,
    async close() {
      if (closing.signal.aborted) return;
      closing.abort();
      clearTimeout(pingTimer);
      const connection = current;
      current = undefined;
      await reconnecting;
      await connection?.end().catch(() => {});
    },
  };
}
