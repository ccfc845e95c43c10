import { access, chmod, chown, constants, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { release } from 'node:os';
import { join } from 'node:path';
import type { PreflightCheck, PreflightReport } from '../jail-driver.js';
import { firstLines, runCommand } from '../run-command.js';
import { CAPABILITIES, hasCapability, parseCapEff } from './cap-eff.js';
import { describeJailRoot, type JailRoot } from './jail-root.js';
import { keyringFilter } from './keyring-filter.js';
import type { ResolvedLinuxDriverOptions } from './linux-driver-options.js';
import { buildSandboxArgv, hostSystemDirs, SANDBOX_PATHS, sandboxUserDatabase } from './sandbox-argv.js';
import { sandboxFacts } from './sandbox-facts.js';
import { verifiedRuns } from './verified-runs.js';

const TRIAL_SANDBOX = 'trial-sandbox';

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

async function executable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The directories that must be bound read-only for `nodePath` to run inside (none when under /usr). */
export function nodeBinds(nodePath: string): string[] {
  return nodePath.startsWith('/usr/') ? [] : [nodePath];
}

/**
 * The linux driver's preflight: every check runs and is reported (a failed check never stops the
 * others), each with what was seen and, when it failed, what to do. The trial sandbox runs only
 * when the checks it depends on passed (else it reports which), as the probe uid (the last of the
 * uid range) with a throwaway home in `R/.preflight-*`, removed afterwards. It creates the jail
 * root when it is missing (as create would), so it also proves the jail uid can traverse R's parents.
 * A trial that passed is not run again while none of the facts it depended on changed
 * ({@link sandboxFacts}, the probe uid), for up to `verifiedTtlMs`; every other check always runs.
 */
export async function runLinuxPreflight(
  options: ResolvedLinuxDriverOptions,
  jailRoot: JailRoot,
  nodePath: string,
): Promise<PreflightReport> {
  const checks: PreflightCheck[] = [];
  const facts: Record<string, string> = {
    kernel: release(),
    jailRoot: options.jailRoot,
    network: options.network,
    nodePath,
    maxProcesses: String(options.maxProcesses),
    uidRange: `${options.uidRange.first}-${options.uidRange.last}`,
  };
  const add = (check: PreflightCheck) => {
    checks.push(check);
    return check.ok;
  };

  const euid = process.geteuid?.() ?? -1;
  const rootOk = add(
    euid === 0
      ? { name: 'root', ok: true, detail: 'euid 0' }
      : {
          name: 'root',
          ok: false,
          detail: `euid ${euid}`,
          fix: 'run colibri as root (sudo) to manage jails',
        },
  );

  const status = (await readOptional('/proc/self/status')) ?? '';
  const capEff = parseCapEff(status);
  let capsOk = true;
  for (const [name, bit, label] of [
    ['cap-setuid', CAPABILITIES.CAP_SETUID, 'CAP_SETUID'],
    ['cap-setgid', CAPABILITIES.CAP_SETGID, 'CAP_SETGID'],
    ['cap-sys-admin', CAPABILITIES.CAP_SYS_ADMIN, 'CAP_SYS_ADMIN'],
  ] as const) {
    const has = capEff !== undefined && hasCapability(capEff, bit);
    capsOk =
      add(
        has
          ? { name, ok: true, detail: `CapEff has ${label}` }
          : {
              name,
              ok: false,
              detail: capEff === undefined ? 'no CapEff line in /proc/self/status' : `CapEff lacks ${label}`,
              fix: `run as real root with ${label} (in a container: grant it, e.g. --cap-add ${label.replace('CAP_', '')})`,
            },
      ) && capsOk;
  }

  let toolsOk = true;
  for (const [name, path, fix] of [
    ['bwrap', options.commands.bwrap, 'apt-get install bubblewrap (or set commands.bwrap)'],
    ['setpriv', options.commands.setpriv, 'apt-get install util-linux (or set commands.setpriv)'],
    ['prlimit', options.commands.prlimit, 'apt-get install util-linux (or set commands.prlimit)'],
  ] as const) {
    if (!(await executable(path))) {
      toolsOk = add({ name, ok: false, detail: `${path} is missing or not executable`, fix }) && toolsOk;
      continue;
    }
    let detail = path;
    if (name === 'bwrap') {
      const version = await runCommand(path, ['--version'], { timeoutMs: 10_000 });
      const printed = firstLines(version.stdout, 1);
      if (version.exitCode === 0 && printed !== '') {
        facts.bwrapVersion = printed.replace(/^bubblewrap\s+/, '');
        detail = `${printed} at ${path}`;
      }
    }
    add({ name, ok: true, detail });
  }
  const nodeOk = add(
    (await executable(nodePath))
      ? {
          name: 'node',
          ok: true,
          detail: `${nodePath} (${nodeBinds(nodePath).length > 0 ? 'bound read-only' : 'under /usr'})`,
        }
      : {
          name: 'node',
          ok: false,
          detail: `${nodePath} is not executable`,
          fix: 'set nodePath to a node 20 binary',
        },
  );

  const rootState = await describeJailRoot(options.jailRoot);
  const jailRootOk = add({ name: 'jail-root', ...rootState });

  const maxUserNamespaces = (await readOptional('/proc/sys/user/max_user_namespaces'))?.trim();
  const unprivilegedClone = (await readOptional('/proc/sys/kernel/unprivileged_userns_clone'))?.trim();
  const apparmorRestrict = (
    await readOptional('/proc/sys/kernel/apparmor_restrict_unprivileged_userns')
  )?.trim();
  const usernsProblems: string[] = [];
  if (maxUserNamespaces === undefined || Number(maxUserNamespaces) === 0) {
    usernsProblems.push(`user.max_user_namespaces is ${maxUserNamespaces ?? 'unreadable'}`);
  }
  if (unprivilegedClone !== undefined && unprivilegedClone !== '1') {
    usernsProblems.push(`kernel.unprivileged_userns_clone is ${unprivilegedClone}`);
  }
  if (apparmorRestrict !== undefined && apparmorRestrict !== '0') {
    usernsProblems.push(`kernel.apparmor_restrict_unprivileged_userns is ${apparmorRestrict}`);
  }
  add(
    usernsProblems.length === 0
      ? {
          name: 'userns',
          ok: true,
          detail: `unprivileged user namespaces enabled (max ${maxUserNamespaces})`,
        }
      : {
          name: 'userns',
          ok: false,
          detail: usernsProblems.join('; '),
          fix: 'enable unprivileged user namespaces: sysctl -w user.max_user_namespaces=15000 kernel.unprivileged_userns_clone=1 (and kernel.apparmor_restrict_unprivileged_userns=0 where present)',
        },
  );

  facts.cgroup = (await readOptional('/sys/fs/cgroup/cgroup.controllers')) === undefined ? 'v1' : 'v2';
  facts.tmpfsSize = `${Math.round(options.tmpfsSizeBytes / 1024 / 1024)} MiB`;

  let filterOk = true;
  try {
    const bytes = keyringFilter();
    add({
      name: 'keyring-filter',
      ok: true,
      detail: `seccomp filter for ${process.arch} (${bytes.length / 8} instructions): add_key, request_key, keyctl refused`,
    });
  } catch (error) {
    filterOk = add({
      name: 'keyring-filter',
      ok: false,
      detail: (error as Error).message,
      fix: 'run jails on x86_64 or aarch64, where the keyring syscalls are known',
    });
  }

  const blockers = [
    rootOk ? undefined : 'root',
    capsOk ? undefined : 'capabilities',
    toolsOk ? undefined : 'bwrap/setpriv/prlimit',
    nodeOk ? undefined : 'node',
    jailRootOk ? undefined : 'jail-root',
    filterOk ? undefined : 'keyring-filter',
  ].filter((blocker) => blocker !== undefined);
  if (blockers.length > 0) {
    add({
      name: 'trial-sandbox',
      ok: false,
      detail: `not run: ${blockers.join(', ')} failed`,
      fix: 'fix the failed checks above, then run preflight again',
    });
  } else {
    add(await trialSandbox(options, jailRoot, nodePath));
  }

  return Object.freeze({
    ok: checks.every((check) => check.ok),
    checks: Object.freeze(checks),
    facts: Object.freeze(facts),
  });
}

async function trialSandbox(
  options: ResolvedLinuxDriverOptions,
  jailRoot: JailRoot,
  nodePath: string,
): Promise<PreflightCheck> {
  const probe = options.uidRange.last;
  let root: string;
  try {
    root = await jailRoot.ensure();
  } catch (error) {
    return { name: 'trial-sandbox', ok: false, detail: (error as Error).message, fix: 'fix the jail root' };
  }
  // A passed trial is trusted while nothing it depended on changed (verified-runs.ts).
  const runs = verifiedRuns(root, options.verifiedTtlMs);
  const facts = { ...(await sandboxFacts(options, nodePath, root)), probeUid: probe };
  const passedAt = await runs.passed(TRIAL_SANDBOX, facts);
  if (passedAt !== undefined) {
    return {
      name: TRIAL_SANDBOX,
      ok: true,
      detail: `a sandbox ran node as uid ${probe} (at ${passedAt}; not run again while this boot, the kernel, the tools, node, the jail root and the settings are unchanged, for up to ${Math.round(options.verifiedTtlMs / 60_000)} min)`,
    };
  }
  const scratch = await mkdtemp(join(root, '.preflight-'));
  try {
    await chmod(scratch, 0o711);
    const home = join(scratch, 'home');
    const etc = join(scratch, 'etc');
    await mkdir(home, { mode: 0o700 });
    await chown(home, probe, probe);
    await mkdir(etc, { mode: 0o755 });
    // Explicit modes: the caller's umask (colibrid runs with 077) must not hide them from the probe uid.
    await chmod(etc, 0o755);
    const users = sandboxUserDatabase(probe, probe);
    await writeFile(join(etc, 'passwd'), users.passwd, { mode: 0o644 });
    await writeFile(join(etc, 'group'), users.group, { mode: 0o644 });
    await chmod(join(etc, 'passwd'), 0o644);
    await chmod(join(etc, 'group'), 0o644);
    const { file, args } = buildSandboxArgv({
      commands: options.commands,
      uid: probe,
      gid: probe,
      maxProcesses: options.maxProcesses,
      network: options.network,
      tmpfsSizeBytes: options.tmpfsSizeBytes,
      // The keyring filter on stdin: the trial proves this host's bwrap loads it.
      seccompFd: 0,
      home,
      etcDir: etc,
      readOnly: nodeBinds(nodePath),
      systemDirs: hostSystemDirs(),
      command: [
        nodePath,
        '-e',
        `require('fs').writeFileSync('${SANDBOX_PATHS.home}/probe', String(process.getuid()))`,
      ],
    });
    const result = await runCommand(file, args, { timeoutMs: 60_000, stdin: keyringFilter() });
    const seen = (await readOptional(join(home, 'probe')))?.trim();
    if (result.exitCode === 0 && seen === String(probe)) {
      await runs.remember(TRIAL_SANDBOX, facts);
      return { name: TRIAL_SANDBOX, ok: true, detail: `a sandbox ran node as uid ${probe}` };
    }
    return {
      name: 'trial-sandbox',
      ok: false,
      detail: `the sandbox as uid ${probe} failed (exit ${result.exitCode}${result.timedOut ? ', timed out' : ''}): ${
        firstLines(`${result.stderr}\n${result.stdout}`) || `it wrote ${seen ?? 'nothing'}`
      }`,
      fix: `check that unprivileged user namespaces work and that ${root} and its parents are traversable by others (chmod o+x)`,
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
