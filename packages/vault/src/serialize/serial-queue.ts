import { ColibriError } from '@colibri/errors';

/** Hands out turns one at a time, in call order. */
export interface SerialQueue {
  /**
   * Waits for this caller's turn, at most `timeoutMs`; resolves with the function that ends the
   * turn. Throws `COLIBRI_VAULT_LOCK_TIMEOUT` when the wait runs out (the turn is then skipped).
   */
  acquire(timeoutMs: number): Promise<() => void>;
}

/** A FIFO of turns inside this process (the cross-process lock covers other processes). */
export function createSerialQueue(): SerialQueue {
  let tail: Promise<void> = Promise.resolve();
  return {
    async acquire(timeoutMs) {
      let end!: () => void;
      const finished = new Promise<void>((resolve) => {
        end = resolve;
      });
      const turn = tail;
      tail = turn.then(() => finished);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        turn.then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        // Give the turn back as soon as it comes, so callers behind us are not stuck.
        void turn.then(end);
        throw new ColibriError(
          'COLIBRI_VAULT_LOCK_TIMEOUT',
          `waited ${timeoutMs} ms for another vault operation in this process to finish; try again later`,
          { waitedMs: timeoutMs },
        );
      }
      let ended = false;
      return () => {
        if (!ended) {
          ended = true;
          end();
        }
      };
    },
  };
}

const queues = new Map<string, SerialQueue>();

/** The process-wide queue for one key (a bw appdata dir): every source using that dir shares it. */
export function sharedSerialQueue(key: string): SerialQueue {
  let queue = queues.get(key);
  if (queue === undefined) {
    queue = createSerialQueue();
    queues.set(key, queue);
  }
  return queue;
}
