// The real runner, observed: which bw commands ran and which requests went to `bw serve` (in
// order), and the session keys bw made on unlock, so tests can check the batch's shape and hunt
// for the keys elsewhere.
import { type CommandRunner, createExecaRunner } from '../../src/index.js';

export interface RecordingRunner {
  readonly runner: CommandRunner;
  /**
   * One entry per bw command (its arguments, without the bundle path and `--nointeraction`), per
   * serve process started (`['serve']`) and per request to it (`['POST', '/unlock']`).
   */
  readonly calls: string[][];
  /** Every session key an unlock answered with. */
  readonly sessionKeys: string[];
  /** Every body an unlock request carried (the master password travels there). */
  readonly unlockBodies: string[];
}

export function recordingRunner(): RecordingRunner {
  const real = createExecaRunner();
  const calls: string[][] = [];
  const sessionKeys: string[] = [];
  const unlockBodies: string[] = [];
  return {
    calls,
    sessionKeys,
    unlockBodies,
    runner: {
      async run(file, args, options) {
        calls.push(args.slice(1).filter((arg) => arg !== '--nointeraction'));
        return real.run(file, args, options);
      },
      start(file, args, options) {
        calls.push(['serve']);
        const process = real.start(file, args, options);
        return {
          exited: process.exited,
          stop: () => process.stop(),
          async request(request) {
            calls.push([request.method, request.path]);
            if (request.path === '/unlock') unlockBodies.push(request.body ?? '');
            const response = await process.request(request);
            if (request.path === '/unlock' && response.status === 200) {
              const raw = (JSON.parse(response.body) as { data?: { raw?: string } }).data?.raw;
              if (typeof raw === 'string' && raw !== '') sessionKeys.push(raw);
            }
            return response;
          },
        };
      },
    },
  };
}
