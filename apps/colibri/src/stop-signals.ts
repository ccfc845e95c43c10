/**
 * Calls `onSignal` for each SIGTERM or SIGINT, with how many have arrived so far: the first asks
 * for a graceful stop (drain), a second for a quick one. While subscribed, the signals no longer
 * kill the process. Returns the unsubscribe.
 */
export function onStopSignals(onSignal: (signal: NodeJS.Signals, count: number) => void): () => void {
  let count = 0;
  const handler = (signal: NodeJS.Signals) => {
    count++;
    onSignal(signal, count);
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  return () => {
    process.off('SIGTERM', handler);
    process.off('SIGINT', handler);
  };
}
