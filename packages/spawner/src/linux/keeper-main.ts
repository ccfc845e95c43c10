#!/usr/bin/env node
/**
 * The keeper process: `node keeper-main.js R/<jail>`, started detached by the linux driver's
 * startAgent. Its stdout/stderr go to R/<jail>/run/keeper.log; descriptor 3 (when open) receives
 * one JSON line reporting whether the sandbox came up. Only this file touches argv and signals.
 */
import { closeSync, writeSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { closeInheritedDescriptors } from './inherited-descriptors.js';
import { type KeeperReport, runKeeper } from './keeper.js';

const READY_FD = 3;

function log(fields: Record<string, unknown>, message: string): void {
  process.stdout.write(
    `${JSON.stringify({ at: new Date().toISOString(), pid: process.pid, message, ...fields })}\n`,
  );
}

function report(value: KeeperReport): void {
  try {
    writeSync(READY_FD, `${JSON.stringify(value)}\n`);
    closeSync(READY_FD);
  } catch {
    // Started by hand, without a report channel.
  }
}

// First of all: nothing the keeper's starter had open (an operator's `exec 30<file`, a pipe end,
// a lock) may reach the sandbox through the keeper's children. Only the report channel stays.
closeInheritedDescriptors([READY_FD]);

const jailDir = process.argv[2];
if (jailDir === undefined || !isAbsolute(jailDir) || process.argv.length !== 3) {
  process.stderr.write('usage: keeper-main.js <absolute path of R/<jail>>\n');
  process.exit(64);
}
process.umask(0o077);
let stops = 0;
const handlers = new Set<(signal: string, count: number) => void>();
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  process.on(signal, () => {
    stops += 1;
    for (const handler of handlers) handler(signal, stops);
  });
}
runKeeper({
  jailDir,
  report,
  log,
  onStop(handler) {
    handlers.add(handler);
    return () => handlers.delete(handler);
  },
}).then(
  (code) => process.exit(code),
  (error: Error) => {
    log({ error: error.stack ?? error.message }, 'keeper failed');
    report({ ready: false, error: error.message });
    process.exit(70);
  },
);
