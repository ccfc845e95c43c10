import { watch } from 'node:fs';

/** Waits that end early when a file changes. */
export interface LogWake {
  /** Resolves after `ms`, or as soon as the file changed since the last wait began (whichever first). */
  wait(ms: number): Promise<void>;
  /** Stops watching. */
  close(): void;
}

/**
 * Watches `path` (inotify on Linux) so a poll loop can look again the moment the file is written —
 * an agent's log gains its `registered` line the instant it has joined — instead of sleeping out
 * its interval. A file that cannot be watched (absent, another platform's limits) leaves plain
 * timed waits: never worse than polling.
 */
export function watchForWrites(path: string): LogWake {
  let changed = false;
  let wakeUp: (() => void) | undefined;
  let watcher: ReturnType<typeof watch> | undefined;
  try {
    watcher = watch(path, { persistent: false }, () => {
      changed = true;
      wakeUp?.();
    });
    watcher.on('error', () => {
      watcher?.close();
      watcher = undefined;
    });
  } catch {
    watcher = undefined;
  }
  return {
    wait(ms) {
      if (changed) {
        changed = false;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => {
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          wakeUp = undefined;
          changed = false;
          resolve();
        }
        wakeUp = done;
      });
    },
    close() {
      watcher?.close();
      watcher = undefined;
      wakeUp?.();
    },
  };
}
