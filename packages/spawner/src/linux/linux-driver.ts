import { randomBytes } from 'node:crypto';
import { chmod, chown, lstat, mkdir, readFile, realpath, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ColibriError, isColibriError } from '@colibri/errors';
import type {
  AgentLaunch,
  AgentRuntime,
  JailDriver,
  JailInfo,
  JailSpec,
  JailStatus,
  PreflightReport,
} from '../jail-driver.js';
import { jailHomePath } from '../jail-layout.js';
import { checkLaunchAgainstRecord } from '../launch-checks.js';
import { type LaunchSettings, normalizeLaunchSettings } from '../launch-settings.js';
import { checkJailName, checkJailSpec, checkLaunchNames } from '../names.js';
import { firstLines, runCommand } from '../run-command.js';
import { daemonTarget } from './daemon-target.js';
import { type JailRecord, readJailRecord, writeJailRecord } from './jail-record.js';
import { JailRoot } from './jail-root.js';
import { KEEPER_PID_FILE } from './keeper.js';
import { keyringFilter } from './keyring-filter.js';
import { writeLaunchRecord } from './launch-record.js';
import { type LinuxDriverOptions, resolveLinuxDriverOptions } from './linux-driver-options.js';
import { nodeBinds, runLinuxPreflight } from './linux-preflight.js';
import { logTail } from './log-tail.js';
import { processesOfUid, readCmdline } from './process-table.js';
import { checkRuntimeFiles, unreadableByOthers, versionFromOutput } from './runtime-check.js';
import { buildSandboxArgv, hostSystemDirs, SANDBOX_PATHS, sandboxUserDatabase } from './sandbox-argv.js';
import { sandboxFacts } from './sandbox-facts.js';
import { startKeeper } from './start-keeper.js';
import { claimUid, releaseUid } from './uid-claims.js';
import { fileIdentity, verifiedRuns } from './verified-runs.js';

/** The directory names inside `R/<jail>/`. */
export const JAIL_LAYOUT = Object.freeze({
  record: 'jail.json',
  home: 'home',
  agentHome: 'agent',
  run: 'run',
  sock: 'sock',
  etc: 'etc',
  agentLog: 'agent.log',
  keeperLog: 'keeper.log',
  socket: 'colibri.sock',
});

/** Where destroy moves a jail before removing it (atomic disappearance; a dot name is never a jail). */
const TRASH_DIR = '.trash';
const STATUS_FD = 3;
/** Where the keeper feeds bwrap the keyring filter. */
const SECCOMP_FD = 4;
const POLL_MS = 50;
/** The verified-runs kind of bootstrap's `--version` run in the jail. */
const RUNTIME_VERSION_RUN = 'runtime-version';
/** Failure guard for waits that should end quickly (processes dying after SIGKILL). */
const KILL_GUARD_MS = 30_000;

type Located =
  | { readonly state: 'absent' }
  | { readonly state: 'foreign'; readonly root: string; readonly jailDir: string }
  | { readonly state: 'ours'; readonly root: string; readonly jailDir: string; readonly record: JailRecord };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function notColibris(name: string, jailDir: string): ColibriError {
  return new ColibriError(
    'COLIBRI_JAIL_NOT_FOUND',
    `no colibri jail ${name}: ${jailDir} exists but colibri has no record of it (no ${JAIL_LAYOUT.record}), so it is left untouched; remove it by hand if it is a leftover`,
    { jail: name, foreign: true },
  );
}

function notFound(name: string): ColibriError {
  return new ColibriError('COLIBRI_JAIL_NOT_FOUND', `no jail named ${name}: create it first`, { jail: name });
}

/**
 * The linux jail driver: a jail is `R/<name>/` with a dedicated unprivileged uid/gid (no passwd
 * entry on the host), its home bound at /home/agent in a bwrap sandbox launched AS that uid, a
 * per-jail daemon socket served by a keeper process, and a process limit (RLIMIT_NPROC of the uid).
 *
 * Host layout under the allowed jail root R (root-owned, 0711, no symlinks anywhere below it):
 *   R/<jail>/               root 0711 (mkdir = the atomic name claim)
 *   R/<jail>/jail.json      root 0600: colibri's record; a jail without it is foreign, never touched
 *   R/<jail>/home/agent     uid:gid 0700: the jail user's home, /home/agent inside (receives .env)
 *   R/<jail>/etc/           generated passwd/group bound over /etc/passwd, /etc/group
 *   R/<jail>/run/           root 0700: launch.json, keeper.pid, keeper.log, agent.log
 *   R/<jail>/sock/          root:gid 0710: colibri.sock (uid:gid 0600), /run/colibri inside
 *   R/.trash/               what destroy is removing
 *   <uidClaimDir>/<uid>     host-wide O_EXCL uid claims, each naming its jail directory
 *
 * Foreign jails (R/<name> without jail.json): inspect reports `info: null`; create refuses with
 * COLIBRI_JAIL_EXISTS; bootstrap/startAgent/stopAgent/destroy refuse with COLIBRI_JAIL_NOT_FOUND.
 */
export function createLinuxDriver(options: LinuxDriverOptions): JailDriver {
  const config = resolveLinuxDriverOptions(options);
  const { logger } = config;
  const jailRoot = new JailRoot(config.jailRoot);
  let realNode: string | undefined;
  let realRoot: string | undefined;

  const nodePath = async (): Promise<string> => {
    realNode ??= await realpath(config.nodePath).catch(() => config.nodePath);
    return realNode;
  };

  async function guarded<T>(what: string, name: unknown, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (isColibriError(error)) throw error;
      throw new ColibriError(
        'COLIBRI_JAIL_DRIVER_FAILED',
        `linux driver: ${what} ${String(name)} failed: ${(error as Error).message}`,
        { jail: typeof name === 'string' ? name : null, step: what },
        { cause: error },
      );
    }
  }

  async function locate(name: string): Promise<Located> {
    const root = await jailRoot.existing();
    if (root === undefined) return { state: 'absent' };
    realRoot = root;
    const jailDir = await jailRoot.path(root, name);
    try {
      await lstat(jailDir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'absent' };
      throw error;
    }
    await jailRoot.path(root, name, JAIL_LAYOUT.record);
    const record = await readJailRecord(jailDir, name);
    return record === undefined
      ? { state: 'foreign', root, jailDir }
      : { state: 'ours', root, jailDir, record };
  }

  async function located(name: string): Promise<Extract<Located, { state: 'ours' }>> {
    const where = await locate(name);
    if (where.state === 'absent') throw notFound(name);
    if (where.state === 'foreign') throw notColibris(name, where.jailDir);
    return where;
  }

  function infoOf(root: string, record: JailRecord): JailInfo {
    return Object.freeze({
      name: record.name,
      agentName: record.agentName,
      tenant: record.tenant,
      home: jailHomePath('linux', root, record.name),
      allowedRoot: root,
      owner: Object.freeze({ uid: record.uid, gid: record.gid }),
      runtimeVersion: record.runtime?.version ?? null,
    });
  }

  /** The keeper's pid when it is alive AND its cmdline is our keeper for this jail. */
  async function runningKeeper(root: string, name: string, jailDir: string): Promise<number | undefined> {
    const pidFile = await jailRoot.path(root, name, JAIL_LAYOUT.run, KEEPER_PID_FILE);
    let text: string;
    try {
      text = await readFile(pidFile, 'utf8');
    } catch {
      return undefined;
    }
    const pid = Number(text.trim());
    if (!Number.isInteger(pid) || pid <= 1) return undefined;
    return (await isOurKeeper(pid, jailDir)) ? pid : undefined;
  }

  async function isOurKeeper(pid: number, jailDir: string): Promise<boolean> {
    const argv = await readCmdline(pid);
    return (
      argv !== undefined &&
      argv.length === 3 &&
      argv[1]?.endsWith('keeper-main.js') === true &&
      argv[2] === jailDir
    );
  }

  /** Makes run/, sock/ and etc/ as they must be (idempotent: startAgent repairs them). */
  async function prepareDirectories(
    root: string,
    record: JailRecord,
  ): Promise<Record<'run' | 'sock' | 'etc', string>> {
    const run = await jailRoot.path(root, record.name, JAIL_LAYOUT.run);
    await mkdir(run, { mode: 0o700 }).catch(ignoreExists);
    await chown(run, 0, 0);
    await chmod(run, 0o700);
    // Root-owned with group x only: the jail user reaches the socket inside but can never plant
    // a symlink where the keeper creates it (the keeper chowns the socket after listen).
    const sock = await jailRoot.path(root, record.name, JAIL_LAYOUT.sock);
    await mkdir(sock, { mode: 0o710 }).catch(ignoreExists);
    await chown(sock, 0, record.gid);
    await chmod(sock, 0o710);
    const etc = await jailRoot.path(root, record.name, JAIL_LAYOUT.etc);
    await mkdir(etc, { mode: 0o755 }).catch(ignoreExists);
    await chmod(etc, 0o755);
    const users = sandboxUserDatabase(record.uid, record.gid);
    for (const [file, content] of [
      ['passwd', users.passwd],
      ['group', users.group],
    ] as const) {
      const path = await jailRoot.path(root, record.name, JAIL_LAYOUT.etc, file);
      // Rewritten only when different: a running sandbox has these files bound.
      if ((await readFile(path, 'utf8').catch(() => undefined)) !== content) {
        await writeFile(path, content, { mode: 0o644, flag: 'w' });
      }
      await chmod(path, 0o644);
    }
    return { run, sock, etc };
  }

  async function waitUntil(check: () => Promise<boolean>, ms: number): Promise<boolean> {
    const giveUpAt = Date.now() + ms;
    for (;;) {
      if (await check()) return true;
      if (Date.now() >= giveUpAt) return false;
      await sleep(POLL_MS);
    }
  }

  async function stop(name: string, graceMs: number): Promise<'stopped' | 'not-running'> {
    const where = await located(name);
    const pid = await runningKeeper(where.root, name, where.jailDir);
    if (pid === undefined) {
      await rm(await jailRoot.path(where.root, name, JAIL_LAYOUT.run, KEEPER_PID_FILE), { force: true });
      return 'not-running';
    }
    const gone = async () => !(await isOurKeeper(pid, where.jailDir));
    logger.info({ jail: name, keeperPid: pid, graceMs }, 'stopping the agent (SIGTERM)');
    process.kill(pid, 'SIGTERM');
    if (!(await waitUntil(gone, graceMs))) {
      logger.warn({ jail: name, keeperPid: pid }, 'the agent did not stop within the grace time: SIGKILL');
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // It exited just now.
      }
      if (!(await waitUntil(gone, KILL_GUARD_MS))) {
        throw new ColibriError(
          'COLIBRI_JAIL_DRIVER_FAILED',
          `the keeper of jail ${name} (pid ${pid}) survived SIGKILL: inspect it by hand`,
          { jail: name, pid },
        );
      }
    }
    return 'stopped';
  }

  /** Kills whatever still runs as the jail uid (there should be nothing once the keeper is gone). */
  async function reapUid(name: string, uid: number): Promise<void> {
    // bwrap's --die-with-parent tears the sandbox down asynchronously: give it a moment first.
    const none = async () => (await processesOfUid(uid)).length === 0;
    if (await waitUntil(none, 5_000)) {
      logger.info({ jail: name, uid }, 'no process of the jail uid remains');
      return;
    }
    const left = await processesOfUid(uid);
    logger.warn(
      { jail: name, uid, pids: left },
      'processes of the jail uid survived the agent: killing them',
    );
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    if (!(await waitUntil(none, KILL_GUARD_MS))) {
      throw new ColibriError(
        'COLIBRI_JAIL_DRIVER_FAILED',
        `processes of jail ${name} (uid ${uid}) survived SIGKILL: ${(await processesOfUid(uid)).join(', ')}`,
        { jail: name, uid },
      );
    }
  }

  return Object.freeze({
    kind: 'linux' as const,

    async preflight(): Promise<PreflightReport> {
      return runLinuxPreflight(config, jailRoot, await nodePath());
    },

    async inspect(name: string): Promise<JailStatus> {
      checkJailName(name);
      return guarded('inspect', name, async () => {
        const where = await locate(name);
        if (where.state === 'absent') return { exists: false };
        if (where.state === 'foreign') return { exists: true, info: null, agent: 'stopped' };
        const running = await runningKeeper(where.root, name, where.jailDir);
        return {
          exists: true,
          info: infoOf(where.root, where.record),
          agent: running === undefined ? 'stopped' : 'running',
          ...(where.record.launched === undefined ? {} : { launched: where.record.launched }),
        };
      });
    },

    async create(spec: JailSpec): Promise<JailInfo> {
      const { name, agentName, tenant } = checkJailSpec(spec);
      return guarded('create', name, async () => {
        const root = await jailRoot.ensure();
        realRoot = root;
        const jailDir = await jailRoot.path(root, name);
        try {
          await mkdir(jailDir, { mode: 0o711 });
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
          const where = await locate(name);
          throw new ColibriError(
            'COLIBRI_JAIL_EXISTS',
            where.state === 'foreign'
              ? `jail ${name} already exists (${jailDir}, not created by colibri): pick another name or remove it by hand`
              : `jail ${name} already exists: use it, or colibri destroy-agent first`,
            { jail: name, foreign: where.state === 'foreign' },
          );
        }
        const undo: Array<() => Promise<unknown>> = [() => rm(jailDir, { recursive: true, force: true })];
        try {
          await chmod(jailDir, 0o711);
          const uid = await claimUid(
            config.uidClaimDir,
            { first: config.uidRange.first, last: config.uidRange.last },
            jailDir,
          );
          undo.push(() => releaseUid(config.uidClaimDir, uid, jailDir));
          const record: JailRecord = {
            format: 1,
            driver: 'linux',
            name,
            agentName,
            tenant,
            uid,
            gid: uid,
            runtime: null,
            createdAt: new Date().toISOString(),
          };
          await writeJailRecord(jailDir, record);
          await prepareDirectories(root, record);
          const homeParent = await jailRoot.path(root, name, JAIL_LAYOUT.home);
          await mkdir(homeParent, { mode: 0o711 });
          await chmod(homeParent, 0o711);
          const home = await jailRoot.path(root, name, JAIL_LAYOUT.home, JAIL_LAYOUT.agentHome);
          await mkdir(home, { mode: 0o700 });
          await chown(home, uid, uid);
          await chmod(home, 0o700);
          const info = infoOf(root, record);
          logger.info({ jail: name, uid, home }, 'jail created');
          return info;
        } catch (error) {
          for (const step of undo.reverse()) await step().catch(() => undefined);
          throw error;
        }
      });
    },

    async bootstrap(name: string, runtime: AgentRuntime): Promise<JailInfo> {
      checkJailName(name);
      return guarded('bootstrap', name, async () => {
        const where = await located(name);
        const { record, root } = where;
        const checked = await checkRuntimeFiles(runtime, root);
        const node = await nodePath();
        // The entry the agent will be started with is the one checked inside the jail.
        const agentEntry = checked.agentEntry ?? checked.entry;
        for (const path of [checked.entry, agentEntry, node]) {
          const blocked = await unreadableByOthers(path);
          if (blocked !== undefined) {
            throw new ColibriError(
              'COLIBRI_RUNTIME_UNAVAILABLE',
              `the runtime is not readable by uid ${record.uid}: ${blocked.path} is mode ${blocked.mode}; put it under a world-readable path (directories o+x, files o+r)`,
              { jail: name, path: blocked.path, version: checked.version },
            );
          }
        }
        const dirs = await prepareDirectories(root, record);
        // A `--version` run that passed is trusted while nothing it depended on changed (the
        // sandbox facts and the runtime's files: verified-runs.ts); the checks above always run.
        const runs = verifiedRuns(root, config.verifiedTtlMs);
        const facts = {
          ...(await sandboxFacts(config, node, root)),
          runtime: {
            version: checked.version,
            files: await Promise.all(
              [
                checked.root,
                checked.manifest,
                checked.entry,
                dirname(checked.entry),
                agentEntry,
                dirname(agentEntry),
              ].map(fileIdentity),
            ),
          },
        };
        const passedAt = await runs.passed(RUNTIME_VERSION_RUN, facts);
        if (passedAt === undefined) {
          const { file, args } = buildSandboxArgv({
            commands: config.commands,
            uid: record.uid,
            gid: record.gid,
            maxProcesses: config.maxProcesses,
            network: config.network,
            tmpfsSizeBytes: config.tmpfsSizeBytes,
            seccompFd: 0,
            home: infoOf(root, record).home,
            etcDir: dirs.etc,
            readOnly: [checked.root, ...nodeBinds(node)],
            systemDirs: hostSystemDirs(),
            command: [node, agentEntry, '--version'],
          });
          const result = await runCommand(file, args, { timeoutMs: 120_000, stdin: keyringFilter() });
          const output = `${result.stdout}\n${result.stderr}`;
          const printed = versionFromOutput(result.stdout);
          if (result.exitCode !== 0 || printed === undefined) {
            throw new ColibriError(
              'COLIBRI_RUNTIME_UNAVAILABLE',
              `\`${agentEntry} --version\` failed in jail ${name} as uid ${record.uid} (exit ${result.exitCode}${
                result.timedOut ? ', timed out' : ''
              }): ${firstLines(output) || 'no output'}; install colibri ${checked.version} at ${runtime.root}`,
              { jail: name, version: checked.version, exitCode: result.exitCode },
            );
          }
          if (printed !== checked.version) {
            throw new ColibriError(
              'COLIBRI_RUNTIME_UNAVAILABLE',
              `the runtime at ${runtime.root} is colibri ${printed}, but ${checked.version} is pinned: install colibri ${checked.version} at ${runtime.root} (or pin ${printed})`,
              { jail: name, version: checked.version, found: printed },
            );
          }
          await runs.remember(RUNTIME_VERSION_RUN, facts);
        } else {
          logger.info(
            { jail: name, version: checked.version, passedAt },
            'runtime --version not run again: it passed with the same runtime files, tools and host',
          );
        }
        const updated: JailRecord = {
          ...record,
          runtime: {
            version: checked.version,
            root: checked.root,
            entry: checked.entry,
            ...(checked.agentEntry === undefined ? {} : { agentEntry: checked.agentEntry }),
          },
        };
        await writeJailRecord(where.jailDir, updated);
        logger.info({ jail: name, version: checked.version, root: checked.root }, 'runtime bootstrapped');
        return infoOf(root, updated);
      });
    },

    async startAgent(name: string, launch: AgentLaunch): Promise<'started' | 'already-running'> {
      checkJailName(name);
      const names = checkLaunchNames(launch);
      const target = daemonTarget(launch.daemon);
      const network = launch.network ?? config.network;
      if (network !== 'none' && network !== 'host') {
        throw new ColibriError('COLIBRI_INVALID_INPUT', `launch.network must be 'none' or 'host'`, {
          field: 'launch.network',
        });
      }
      if (
        launch.handlersDir !== undefined &&
        (typeof launch.handlersDir !== 'string' || !launch.handlersDir.startsWith('/'))
      ) {
        throw new ColibriError('COLIBRI_INVALID_INPUT', 'launch.handlersDir must be an absolute host path', {
          field: 'launch.handlersDir',
        });
      }
      return guarded('startAgent', name, async () => {
        const where = await located(name);
        const { record, root, jailDir } = where;
        const runtime = checkLaunchAgainstRecord(name, record, names);
        if ((await runningKeeper(root, name, jailDir)) !== undefined) return 'already-running';
        const checked = await checkRuntimeFiles(runtime, root);
        const node = await nodePath();
        const dirs = await prepareDirectories(root, record);
        let handlersDir: string | undefined;
        if (launch.handlersDir !== undefined) {
          handlersDir = await realpath(launch.handlersDir).catch(() => {
            throw new ColibriError(
              'COLIBRI_INVALID_INPUT',
              `launch.handlersDir ${launch.handlersDir} does not exist`,
              {
                field: 'launch.handlersDir',
              },
            );
          });
        }
        const agentArgv = [
          node,
          // The light entry (same command line, no CLI framework) when the runtime has one.
          checked.agentEntry ?? checked.entry,
          'run-agent',
          '--name',
          names.agentName,
          '--tenant',
          names.tenant,
          ...(names.capabilities === null ? [] : ['--capabilities', names.capabilities.join(',')]),
          '--socket',
          SANDBOX_PATHS.socket,
          ...(handlersDir === undefined ? [] : ['--handlers', SANDBOX_PATHS.handlers]),
          '--json',
        ];
        const command = buildSandboxArgv({
          commands: config.commands,
          uid: record.uid,
          gid: record.gid,
          maxProcesses: config.maxProcesses,
          network,
          tmpfsSizeBytes: config.tmpfsSizeBytes,
          home: infoOf(root, record).home,
          etcDir: dirs.etc,
          socketDir: dirs.sock,
          readOnly: [checked.root, ...nodeBinds(node)],
          ...(handlersDir === undefined ? {} : { handlersDir }),
          systemDirs: hostSystemDirs(),
          statusFd: STATUS_FD,
          seccompFd: SECCOMP_FD,
          command: agentArgv,
        });
        await rm(join(dirs.run, KEEPER_PID_FILE), { force: true });
        const agentLog = join(dirs.run, JAIL_LAYOUT.agentLog);
        await writeLaunchRecord(dirs.run, {
          format: 1,
          jail: name,
          owner: { uid: record.uid, gid: record.gid },
          socketPath: join(dirs.sock, JAIL_LAYOUT.socket),
          daemon: target,
          agentLog,
          command,
          statusFd: STATUS_FD,
          seccompFd: SECCOMP_FD,
          agentArgv,
        });
        const keeperLog = join(dirs.run, JAIL_LAYOUT.keeperLog);
        const report = await startKeeper({
          keeperEntry: config.keeperEntry,
          jailDir,
          keeperLog,
          timeoutMs: config.startTimeoutMs,
        });
        if (!report.ready) {
          const agentTail = await logTail(agentLog);
          const keeperTail = await logTail(keeperLog, 5);
          throw new ColibriError(
            'COLIBRI_SPAWN_FAILED',
            `the agent of jail ${name} did not start: ${report.error}${agentTail === '' ? '' : `\nagent.log:\n${agentTail}`}${
              keeperTail === '' ? '' : `\nkeeper.log:\n${keeperTail}`
            }`,
            { jail: name, agentLog, keeperLog },
          );
        }
        const launched = normalizeLaunchSettings({
          capabilities: names.capabilities,
          handlersDir: launch.handlersDir ?? null,
          network,
          runtime: runtime.root,
        });
        await writeJailRecord(jailDir, {
          ...record,
          launched: {
            ...launched,
            capabilities: launched.capabilities === null ? null : [...launched.capabilities],
          },
        });
        logger.info({ jail: name, keeperPid: report.keeperPid, argv: agentArgv }, 'agent started');
        return 'started';
      });
    },

    async stopAgent(name: string, stopOptions?: { graceMs?: number }): Promise<'stopped' | 'not-running'> {
      checkJailName(name);
      const graceMs = stopOptions?.graceMs ?? 15_000;
      if (!Number.isInteger(graceMs) || graceMs < 0) {
        throw new ColibriError(
          'COLIBRI_INVALID_INPUT',
          `graceMs must be a non-negative integer, got ${graceMs}`,
        );
      }
      return guarded('stopAgent', name, () => stop(name, graceMs));
    },

    async destroy(name: string): Promise<'destroyed' | 'absent'> {
      checkJailName(name);
      return guarded('destroy', name, async () => {
        const where = await locate(name);
        if (where.state === 'absent') return 'absent';
        if (where.state === 'foreign') throw notColibris(name, where.jailDir);
        const { root, jailDir, record } = where;
        await stop(name, 15_000);
        await reapUid(name, record.uid);
        // Rename first: the jail disappears atomically, and a removal that fails half-way leaves
        // only trash behind (its uid stays claimed, so it is never reused while files remain).
        const trash = await jailRoot.path(root, TRASH_DIR);
        await mkdir(trash, { mode: 0o700 }).catch(ignoreExists);
        const doomed = join(trash, `${name}-${randomBytes(6).toString('hex')}`);
        await rename(jailDir, doomed);
        await rm(doomed, { recursive: true, force: true });
        await releaseUid(config.uidClaimDir, record.uid, jailDir);
        logger.info({ jail: name, uid: record.uid }, 'jail destroyed');
        return 'destroyed';
      });
    },

    agentLogPath(name: string): string {
      checkJailName(name);
      return join(realRoot ?? config.jailRoot, name, JAIL_LAYOUT.run, JAIL_LAYOUT.agentLog);
    },

    launchSettings(launch: AgentLaunch, runtime: AgentRuntime): LaunchSettings {
      return normalizeLaunchSettings({
        capabilities: launch.capabilities,
        handlersDir: launch.handlersDir ?? null,
        network: launch.network ?? config.network,
        runtime: runtime.root ?? runtime.entry,
      });
    },
  });
}

function ignoreExists(error: NodeJS.ErrnoException): void {
  if (error.code !== 'EEXIST') throw error;
}
