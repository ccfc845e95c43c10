import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as v from 'valibot';
import { writeFileAtomic } from '../atomic-write.js';

/** The file in `R/<jail>/run/` that tells the keeper what to run (root 0600; never a secret in it). */
export const LAUNCH_FILE = 'launch.json';

const absolutePath = v.pipe(v.string(), v.regex(/^\/[^\0]*$/, 'an absolute path'));
const id = v.pipe(v.number(), v.integer(), v.minValue(1));

const launchRecordSchema = v.strictObject({
  format: v.literal(1),
  jail: v.string(),
  owner: v.strictObject({ uid: id, gid: id }),
  /** The per-jail socket on the host (R/<jail>/sock/colibri.sock). */
  socketPath: absolutePath,
  /** Where each connection to the per-jail socket is piped: colibrid's socket or TCP address. */
  daemon: v.union([
    v.strictObject({ socketPath: absolutePath }),
    v.strictObject({
      host: v.pipe(v.string(), v.minLength(1)),
      port: v.pipe(v.number(), v.integer(), v.minValue(1)),
    }),
  ]),
  agentLog: absolutePath,
  /** The sandbox command (prlimit … setpriv … bwrap … -- node entry run-agent …). */
  command: v.strictObject({ file: absolutePath, args: v.array(v.string()) }),
  /** The descriptor the command's bwrap reports its status on. */
  statusFd: v.pipe(v.number(), v.integer(), v.minValue(3)),
  /** The descriptor the command's bwrap reads the keyring seccomp filter from (the keeper feeds it). */
  seccompFd: v.pipe(v.number(), v.integer(), v.minValue(3)),
  /** The agent's argv inside the sandbox, for logs (a subset of command.args). */
  agentArgv: v.array(v.string()),
});

/** What the keeper needs to supervise one jail's agent. */
export type LaunchRecord = v.InferOutput<typeof launchRecordSchema>;

export async function writeLaunchRecord(runDir: string, record: LaunchRecord): Promise<void> {
  await writeFileAtomic(runDir, LAUNCH_FILE, `${JSON.stringify(record, null, 2)}\n`, 0o600);
}

/** Reads and validates `run/launch.json`; throws a plain Error naming the problem (the keeper logs it). */
export async function readLaunchRecord(runDir: string): Promise<LaunchRecord> {
  const text = await readFile(join(runDir, LAUNCH_FILE), 'utf8');
  const result = v.safeParse(launchRecordSchema, JSON.parse(text));
  if (!result.success) {
    throw new Error(
      `${join(runDir, LAUNCH_FILE)} is invalid: ${result.issues.map((i) => i.message).join('; ')}`,
    );
  }
  return result.output;
}
