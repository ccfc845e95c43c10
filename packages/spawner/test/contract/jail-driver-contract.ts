/**
 * The one contract every {@link JailDriver} passes: the linux driver on real processes, the
 * bastille driver against the fake bastille/jexec. Each case uses fresh, unique jail names and
 * removes what it made, so cases do not depend on each other.
 *
 * Decisions the contract fixes (documented here because both drivers must agree):
 * - A jail that exists without colibri's record ("foreign") is reported by `inspect` with
 *   `info: null` and is never touched: `create` refuses it with `COLIBRI_JAIL_EXISTS`, while
 *   `bootstrap`, `startAgent`, `stopAgent` and `destroy` refuse it with `COLIBRI_JAIL_NOT_FOUND`
 *   (there is no colibri jail of that name), the message saying that it exists but colibri did not
 *   create it.
 * - `startAgent` before a successful `bootstrap` fails with `COLIBRI_RUNTIME_UNAVAILABLE`.
 * - Files written by the fixture runtime are awaited by polling; the only time limit is a generous
 *   failure guard, never an assertion.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  AgentLaunch,
  AgentRuntime,
  DaemonEndpoint,
  JailDriver,
  JailInfo,
} from '../../src/jail-driver.js';

/** What a driver's test file hands the contract. */
export interface ContractSetup {
  readonly driver: JailDriver;
  /** The fixture runtime (test/fixtures/agent-runtime) as this driver needs it. */
  readonly runtime: AgentRuntime;
  /** A runtime whose cache is cold: something it needs is missing. */
  readonly brokenRuntime: AgentRuntime;
  /** A text the COLIBRI_RUNTIME_UNAVAILABLE message for `brokenRuntime` must contain (what is missing). */
  readonly brokenRuntimeMissing: string;
  /** The fixture runtime pinned at a version it does not report. */
  readonly wrongVersionRuntime: AgentRuntime;
  /** Where the agent would reach colibrid (the fixture never connects). */
  readonly daemon: DaemonEndpoint;
  /** Reads a file from the jail's home as the host sees it; undefined when it does not exist. */
  readHomeFile(name: string, file: string): Promise<string | undefined>;
  /** The jail home's owner and permission bits as the host sees them; undefined when it does not exist. */
  statHome(name: string): Promise<{ uid: number; gid: number; mode: number } | undefined>;
  /** Makes a jail named `name` exist WITHOUT colibri's record (as if an operator made it by hand). */
  plantForeignJail(name: string): Promise<void>;
  /**
   * A text describing everything a driver call could change or run: a listing of the jail root,
   * and for a faked tool the log of its invocations. Equal before and after = nothing changed.
   */
  snapshot(): Promise<string>;
  cleanup(): Promise<void>;
}

/** The failure guard for polling: generous, never an assertion about speed. */
const GUARD_MS = 45_000;

const INVALID_NAMES = ['all', 'ALL', '../x', 'x/y', 'Agent', '14.3-RELEASE', '123', '', 'a'.repeat(64)];

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const giveUpAt = Date.now() + GUARD_MS;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > giveUpAt) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function rejection(promise: Promise<unknown>): Promise<{ code?: unknown; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: unknown; message: string };
  }
  throw new Error('expected the call to fail, it succeeded');
}

function syncRejection(call: () => unknown): { code?: unknown; message: string } {
  try {
    call();
  } catch (error) {
    return error as { code?: unknown; message: string };
  }
  throw new Error('expected the call to fail, it succeeded');
}

interface StartedFacts {
  uid: number;
  gid: number;
  pid: number;
  argv: string[];
  envKeys: string[];
}

export function describeJailDriverContract(label: string, setup: () => Promise<ContractSetup>): void {
  describe(`jail driver contract: ${label}`, () => {
    let s: ContractSetup;
    const made = new Set<string>();
    const run = randomBytes(3)
      .toString('hex')
      .replace(/^[0-9]/, 'c');
    let counter = 0;
    /** A fresh jail name: starts with a letter, unique in this run. */
    const fresh = (): string => {
      counter += 1;
      return `k${run}${counter.toString(36)}`;
    };
    const spec = (name: string) => ({ name, agentName: `${name}-agent`, tenant: name });
    const launch = (name: string): AgentLaunch => ({
      agentName: `${name}-agent`,
      tenant: name,
      capabilities: ['contract'],
      daemon: s.daemon,
    });
    const create = async (name: string): Promise<JailInfo> => {
      made.add(name);
      return s.driver.create(spec(name));
    };
    const destroyQuietly = async (name: string) => {
      try {
        await s.driver.destroy(name);
      } catch {
        // Foreign jails are refused by design; cleanup() removes them.
      }
    };

    beforeAll(async () => {
      s = await setup();
    });
    afterAll(async () => {
      if (s === undefined) return;
      for (const name of made) await destroyQuietly(name);
      await s.cleanup();
    });

    it('preflight passes on a prepared host and reports facts', async () => {
      const report = await s.driver.preflight();
      expect(report.checks.filter((check) => !check.ok)).toEqual([]);
      expect(report.ok).toBe(true);
      expect(report.checks.length).toBeGreaterThan(0);
      for (const check of report.checks) expect(check.detail).not.toBe('');
      expect(Object.keys(report.facts).length).toBeGreaterThan(0);
    });

    it('inspect of an absent jail says it does not exist', async () => {
      expect(await s.driver.inspect(fresh())).toEqual({ exists: false });
    });

    it('create makes the jail, its unprivileged owner and a private home inside the allowed root', async () => {
      const name = fresh();
      const info = await create(name);
      expect(info).toMatchObject({ name, agentName: `${name}-agent`, tenant: name, runtimeVersion: null });
      expect(info.owner.uid).not.toBe(0);
      expect(info.owner.gid).not.toBe(0);
      expect(info.home.startsWith(`${info.allowedRoot}/`)).toBe(true);
      expect(info.home).not.toMatch(/\/\.\.?(\/|$)/);
      expect(await s.statHome(name)).toEqual({ uid: info.owner.uid, gid: info.owner.gid, mode: 0o700 });
      expect(await s.driver.inspect(name)).toEqual({ exists: true, info, agent: 'stopped' });
      await s.driver.destroy(name);
    });

    it('create of an existing jail fails with COLIBRI_JAIL_EXISTS and changes nothing', async () => {
      const name = fresh();
      const info = await create(name);
      const before = await s.snapshot();
      const error = await rejection(s.driver.create({ name, agentName: 'other-agent', tenant: 'other' }));
      expect(error.code).toBe('COLIBRI_JAIL_EXISTS');
      expect(error.message).toContain(name);
      expect(await s.snapshot()).toBe(before);
      expect(await s.driver.inspect(name)).toEqual({ exists: true, info, agent: 'stopped' });
      await s.driver.destroy(name);
    });

    it('a name is never matched by prefix (the jail "<x>1" is not "<x>12")', async () => {
      const base = fresh();
      const long = `${base}12`;
      const short = `${base}1`;
      const longInfo = await create(long);
      expect(await s.driver.inspect(short)).toEqual({ exists: false });
      expect(await rejection(s.driver.startAgent(short, launch(short)))).toMatchObject({
        code: 'COLIBRI_JAIL_NOT_FOUND',
      });
      expect(await s.driver.stopAgent(long)).toBe('not-running');
      const shortInfo = await create(short);
      expect(shortInfo.home).not.toBe(longInfo.home);
      expect(await s.driver.inspect(long)).toEqual({ exists: true, info: longInfo, agent: 'stopped' });
      expect(await s.driver.destroy(short)).toBe('destroyed');
      expect(await s.driver.inspect(short)).toEqual({ exists: false });
      expect(await s.driver.inspect(long)).toEqual({ exists: true, info: longInfo, agent: 'stopped' });
      expect(await s.statHome(long)).toEqual({
        uid: longInfo.owner.uid,
        gid: longInfo.owner.gid,
        mode: 0o700,
      });
      expect(await s.driver.destroy(short)).toBe('absent');
      expect(await s.driver.inspect(long)).toEqual({ exists: true, info: longInfo, agent: 'stopped' });
      await s.driver.destroy(long);
    });

    it('destroy of an absent jail says absent and touches nothing', async () => {
      const before = await s.snapshot();
      expect(await s.driver.destroy(fresh())).toBe('absent');
      expect(await s.snapshot()).toBe(before);
    });

    it('every method refuses an invalid name with COLIBRI_INVALID_NAME before running anything', async () => {
      const valid = fresh();
      const before = await s.snapshot();
      for (const bad of INVALID_NAMES) {
        const calls: Array<[string, () => Promise<unknown>]> = [
          ['inspect', () => s.driver.inspect(bad)],
          ['create name', () => s.driver.create({ name: bad, agentName: valid, tenant: valid })],
          ['create agentName', () => s.driver.create({ name: valid, agentName: bad, tenant: valid })],
          ['create tenant', () => s.driver.create({ name: valid, agentName: valid, tenant: bad })],
          ['bootstrap', () => s.driver.bootstrap(bad, s.runtime)],
          ['startAgent name', () => s.driver.startAgent(bad, launch(valid))],
          ['startAgent agentName', () => s.driver.startAgent(valid, { ...launch(valid), agentName: bad })],
          ['startAgent tenant', () => s.driver.startAgent(valid, { ...launch(valid), tenant: bad })],
          ['stopAgent', () => s.driver.stopAgent(bad)],
          ['destroy', () => s.driver.destroy(bad)],
        ];
        for (const [method, call] of calls) {
          const error = await rejection(call());
          expect({ bad, method, code: error.code }).toEqual({ bad, method, code: 'COLIBRI_INVALID_NAME' });
        }
        const logError = syncRejection(() => s.driver.agentLogPath(bad));
        expect({ bad, code: logError.code }).toEqual({ bad, code: 'COLIBRI_INVALID_NAME' });
      }
      expect(await s.snapshot()).toBe(before);
      expect(await s.driver.inspect(valid)).toEqual({ exists: false });
    });

    it('bootstrap, startAgent and stopAgent on an absent jail fail with COLIBRI_JAIL_NOT_FOUND', async () => {
      const name = fresh();
      expect(await rejection(s.driver.bootstrap(name, s.runtime))).toMatchObject({
        code: 'COLIBRI_JAIL_NOT_FOUND',
      });
      expect(await rejection(s.driver.startAgent(name, launch(name)))).toMatchObject({
        code: 'COLIBRI_JAIL_NOT_FOUND',
      });
      expect(await rejection(s.driver.stopAgent(name))).toMatchObject({ code: 'COLIBRI_JAIL_NOT_FOUND' });
      expect(await s.driver.inspect(name)).toEqual({ exists: false });
    });

    it('bootstrap refuses a cold cache and a wrong version before changing the jail', async () => {
      const name = fresh();
      const info = await create(name);

      const broken = await rejection(s.driver.bootstrap(name, s.brokenRuntime));
      expect(broken.code).toBe('COLIBRI_RUNTIME_UNAVAILABLE');
      expect(broken.message).toContain(s.brokenRuntimeMissing);
      expect(await s.driver.inspect(name)).toEqual({ exists: true, info, agent: 'stopped' });

      const wrong = await rejection(s.driver.bootstrap(name, s.wrongVersionRuntime));
      expect(wrong.code).toBe('COLIBRI_RUNTIME_UNAVAILABLE');
      expect(wrong.message).toContain(s.wrongVersionRuntime.version);
      expect(wrong.message).toContain(s.runtime.version);
      expect(await s.driver.inspect(name)).toEqual({ exists: true, info, agent: 'stopped' });

      const notBootstrapped = await rejection(s.driver.startAgent(name, launch(name)));
      expect(notBootstrapped.code).toBe('COLIBRI_RUNTIME_UNAVAILABLE');
      expect(await s.readHomeFile(name, 'started.json')).toBeUndefined();
      await s.driver.destroy(name);
    });

    it('runs the agent as the jail user through its whole life: bootstrap, start, stop, destroy', async () => {
      const name = fresh();
      const info = await create(name);
      const bootstrapped = await s.driver.bootstrap(name, s.runtime);
      expect(bootstrapped).toEqual({ ...info, runtimeVersion: s.runtime.version });
      expect(await s.driver.inspect(name)).toEqual({ exists: true, info: bootstrapped, agent: 'stopped' });
      expect(s.driver.agentLogPath(name)).toMatch(/\S/);

      // Canaries: whatever the calling process holds must not reach the agent.
      const saved = { BW_SESSION: process.env.BW_SESSION, COLIBRI_TOKEN: process.env.COLIBRI_TOKEN };
      process.env.BW_SESSION = 'contract-canary-session';
      process.env.COLIBRI_TOKEN = 'contract-canary-token';
      let outcome: string;
      try {
        outcome = await s.driver.startAgent(name, launch(name));
      } finally {
        for (const [key, value] of Object.entries(saved)) {
          if (value === undefined) delete process.env[key];
          else process.env[key] = value;
        }
      }
      expect(outcome).toBe('started');
      const status = await s.driver.inspect(name);
      // The settings it started with are recorded, exactly as launchSettings says a start runs it.
      const launched = s.driver.launchSettings(launch(name), s.runtime);
      expect(status).toEqual({ exists: true, info: bootstrapped, agent: 'running', launched });

      const started = await waitFor('started.json in the jail home (complete)', async () => {
        const text = await s.readHomeFile(name, 'started.json');
        try {
          return text === undefined ? undefined : (JSON.parse(text) as StartedFacts);
        } catch {
          return undefined; // still being written
        }
      });
      expect(started.uid).toBe(info.owner.uid);
      expect(started.uid).not.toBe(0);
      expect(started.gid).toBe(info.owner.gid);
      expect(started.argv).toContain('run-agent');
      expect(started.argv).toContain(`${name}-agent`);
      expect(started.argv).toContain(name);
      const leaked = started.envKeys.filter((key) =>
        /^BW_|^COLIBRI_TOKEN$|SECRET|PASSWORD|PASSWD|SESSION|CREDENTIAL|API_?KEY|_TOKEN$/i.test(key),
      );
      expect(leaked).toEqual([]);

      expect(await s.driver.startAgent(name, launch(name))).toBe('already-running');
      const again = JSON.parse((await s.readHomeFile(name, 'started.json')) ?? '{}') as StartedFacts;
      expect(again.pid).toBe(started.pid);

      expect(await s.driver.stopAgent(name)).toBe('stopped');
      const stopped = JSON.parse(
        await waitFor('stopped.json in the jail home', () => s.readHomeFile(name, 'stopped.json')),
      ) as StartedFacts & { signal: string };
      expect(stopped).toMatchObject({ pid: started.pid, uid: info.owner.uid, signal: 'SIGTERM' });
      expect(await s.driver.inspect(name)).toEqual({
        exists: true,
        info: bootstrapped,
        agent: 'stopped',
        launched,
      });
      expect(await s.driver.stopAgent(name)).toBe('not-running');

      expect(await s.driver.destroy(name)).toBe('destroyed');
      expect(await s.driver.inspect(name)).toEqual({ exists: false });
      expect(await s.statHome(name)).toBeUndefined();
      expect(await s.driver.destroy(name)).toBe('absent');
    });

    it('destroy stops a running agent and removes the jail', async () => {
      const name = fresh();
      await create(name);
      await s.driver.bootstrap(name, s.runtime);
      expect(await s.driver.startAgent(name, launch(name))).toBe('started');
      await waitFor('started.json in the jail home', () => s.readHomeFile(name, 'started.json'));
      expect(await s.driver.destroy(name)).toBe('destroyed');
      expect(await s.driver.inspect(name)).toEqual({ exists: false });
      expect(await s.statHome(name)).toBeUndefined();
    });

    it('a jail colibri did not create is reported without a record and never touched', async () => {
      const name = fresh();
      made.add(name);
      await s.plantForeignJail(name);
      const status = await s.driver.inspect(name);
      expect(status).toMatchObject({ exists: true, info: null });
      const before = await s.snapshot();

      const created = await rejection(s.driver.create(spec(name)));
      expect(created.code).toBe('COLIBRI_JAIL_EXISTS');
      for (const call of [
        () => s.driver.bootstrap(name, s.runtime),
        () => s.driver.startAgent(name, launch(name)),
        () => s.driver.stopAgent(name),
        () => s.driver.destroy(name),
      ]) {
        const error = await rejection(call());
        expect(error.code).toBe('COLIBRI_JAIL_NOT_FOUND');
        expect(error.message).toContain(name);
      }
      expect(await s.snapshot()).toBe(before);
      expect(await s.driver.inspect(name)).toEqual(status);
    });
  });
}
