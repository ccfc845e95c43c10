// The real execa runner, observed: which bw commands ran (in order) and the session keys
// `bw unlock --raw` printed, so tests can check the batch's shape and hunt for the keys elsewhere.
import { type CommandRunner, createExecaRunner } from '../../src/index.js';

export interface RecordingRunner {
  readonly runner: CommandRunner;
  /** bw's arguments per call, without the bundle path and the trailing `--nointeraction`. */
  readonly calls: string[][];
  /** Every session key an unlock printed. */
  readonly sessionKeys: string[];
}

export function recordingRunner(): RecordingRunner {
  const real = createExecaRunner();
  const calls: string[][] = [];
  const sessionKeys: string[] = [];
  return {
    calls,
    sessionKeys,
    runner: {
      async run(file, args, options) {
        calls.push(args.slice(1).filter((arg) => arg !== '--nointeraction'));
        const result = await real.run(file, args, options);
        if (args[1] === 'unlock' && result.exitCode === 0 && result.stdout.trim() !== '') {
          sessionKeys.push(result.stdout.trim());
        }
        return result;
      },
    },
  };
}
