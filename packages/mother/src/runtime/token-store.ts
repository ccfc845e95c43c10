import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, lstat, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ColibriError } from '@colibri/errors';
import * as v from 'valibot';

/** The agent's own credential, kept across restarts so it comes back as the same agent. */
export interface StoredAgent {
  readonly agentId: string;
  /** The agent's bearer token: a secret. */
  readonly token: string;
}

/** Where the agent keeps its credential. Injected, so tests and other hosts may keep it elsewhere. */
export interface TokenStore {
  /** The stored credential, or undefined when there is none yet. */
  load(): Promise<StoredAgent | undefined>;
  /** Replaces the stored credential atomically. */
  save(agent: StoredAgent): Promise<void>;
  /** For messages: where it is kept. */
  readonly describe: string;
}

const storedAgentSchema = v.strictObject({
  agentId: v.pipe(v.string(), v.minLength(1)),
  token: v.pipe(v.string(), v.minLength(1)),
});

/** The file name inside the state directory. */
export const AGENT_STATE_FILE = 'agent.json';

/**
 * The credential as `<stateDir>/agent.json` (`{agentId, token}`), mode 0600 in a 0700 directory
 * owned by this user. Written through a temp file created 0600 (`O_EXCL`, so never through a
 * planted file or link), fsynced, then renamed over the old one: never world-readable, never half
 * written. Reading refuses a link, a non-file, another owner or any group/other permission bit
 * (`COLIBRI_UNSAFE_PATH`), and a malformed file (`COLIBRI_INVALID_INPUT`), each naming the path
 * and the fix.
 */
export function fileTokenStore(stateDir: string, options: { uid?: number } = {}): TokenStore {
  const uid = options.uid ?? process.geteuid?.() ?? -1;
  const file = join(stateDir, AGENT_STATE_FILE);
  const unsafe = (why: string, fix: string) =>
    new ColibriError('COLIBRI_UNSAFE_PATH', `agent state ${why}: ${fix}`, { path: file });

  async function checkDirectory(create: boolean): Promise<boolean> {
    let info: Awaited<ReturnType<typeof lstat>>;
    try {
      info = await lstat(stateDir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      if (!create) return false;
      await mkdir(stateDir, { recursive: true, mode: 0o700 });
      info = await lstat(stateDir);
    }
    if (!info.isDirectory()) {
      throw unsafe(
        `directory ${stateDir} is not a directory (or is a symlink)`,
        'point --state-dir at a real directory',
      );
    }
    if (uid >= 0 && info.uid !== uid) {
      throw unsafe(
        `directory ${stateDir} is owned by uid ${info.uid}, not by this agent (uid ${uid})`,
        `chown it or use another --state-dir`,
      );
    }
    // Our own directory with looser bits (made by hand, or by a umask): tighten it, it holds a secret.
    if ((info.mode & 0o077) !== 0) await chmod(stateDir, 0o700);
    return true;
  }

  return {
    describe: file,
    async load() {
      if (!(await checkDirectory(false))) return undefined;
      let info: Awaited<ReturnType<typeof lstat>>;
      try {
        info = await lstat(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
      if (!info.isFile())
        throw unsafe(
          `${file} is not a regular file (or is a symlink)`,
          'remove it; the agent registers again',
        );
      if (uid >= 0 && info.uid !== uid) {
        throw unsafe(
          `${file} is owned by uid ${info.uid}, not by this agent (uid ${uid})`,
          'remove it; the agent registers again',
        );
      }
      if ((info.mode & 0o077) !== 0) {
        throw unsafe(
          `${file} has mode ${(info.mode & 0o777).toString(8)}: its token may have leaked`,
          'remove it (the agent registers again) and rotate the agent',
        );
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(await readFile(file, 'utf8'));
      } catch {
        parsed = undefined;
      }
      const result = v.safeParse(storedAgentSchema, parsed);
      if (!result.success) {
        throw new ColibriError(
          'COLIBRI_INVALID_INPUT',
          `agent state ${file} is not {"agentId": "…", "token": "…"}: remove it and the agent registers again`,
          { path: file },
        );
      }
      return Object.freeze({ ...result.output });
    },
    async save(agent) {
      await checkDirectory(true);
      const temp = join(stateDir, `.${AGENT_STATE_FILE}.${randomBytes(6).toString('hex')}.tmp`);
      const handle = await open(
        temp,
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
        0o600,
      );
      try {
        await handle.writeFile(`${JSON.stringify({ agentId: agent.agentId, token: agent.token })}\n`);
        await handle.sync();
      } catch (error) {
        await handle.close();
        await rm(temp, { force: true });
        throw error;
      }
      await handle.close();
      await rename(temp, file);
      const dir = await open(stateDir, constants.O_RDONLY);
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    },
  };
}
