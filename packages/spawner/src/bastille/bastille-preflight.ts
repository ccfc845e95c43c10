import { constants } from 'node:fs';
import { access, lstat } from 'node:fs/promises';
import { join } from 'node:path';
import type { PreflightCheck, PreflightReport } from '../jail-driver.js';
import { firstLines } from '../run-command.js';
import type { BastilleCli } from './bastille-cli.js';
import type { ResolvedBastilleDriverOptions } from './bastille-driver-options.js';

/** The process's effective uid (a seam for tests; the driver passes process.geteuid). */
export type EuidProbe = () => number;

async function executable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * "root-verify" (JAIL-FACTS.md): root, not itself a jail, bastille present (its version recorded),
 * jexec present, the prefix root's and 0750, the pinned release bootstrapped. Every check runs,
 * each failure says what to do; nothing is changed.
 */
export async function bastillePreflight(
  options: ResolvedBastilleDriverOptions,
  cli: BastilleCli,
  euid: EuidProbe,
): Promise<PreflightReport> {
  const { commands, prefix, release } = options;
  const checks: PreflightCheck[] = [];
  const facts: Record<string, string> = { prefix, release, agentUser: options.agentUser };

  const uid = euid();
  checks.push(
    uid === 0
      ? { name: 'root', ok: true, detail: 'euid 0' }
      : {
          name: 'root',
          ok: false,
          detail: `euid ${uid}`,
          fix: 'run as root (sudo/doas): Bastille and jexec refuse anyone else',
        },
  );

  const jailed = await cli.sysctl('security.jail.jailed');
  const jailedValue = jailed.stdout.trim();
  if (jailed.exitCode !== 0) {
    checks.push({
      name: 'not-jailed',
      ok: false,
      detail: `\`${commands.sysctl} -n security.jail.jailed\` failed: ${firstLines(jailed.stderr) || `exit ${jailed.exitCode}`}`,
      fix: `check that ${commands.sysctl} exists: the bastille driver runs on a FreeBSD jail host`,
    });
  } else if (jailedValue !== '0') {
    checks.push({
      name: 'not-jailed',
      ok: false,
      detail: `security.jail.jailed = ${jailedValue}: this host is itself a jail`,
      fix: 'run colibri on the jail host, not inside a jail',
    });
  } else {
    checks.push({ name: 'not-jailed', ok: true, detail: 'security.jail.jailed = 0' });
  }

  if (!(await executable(commands.bastille))) {
    checks.push({
      name: 'bastille-present',
      ok: false,
      detail: `${commands.bastille} is missing or not executable`,
      fix: 'install it (`pkg install bastille`) or point the driver at it',
    });
  } else {
    try {
      const version = await cli.version();
      facts.bastilleVersion = version.text;
      checks.push({
        name: 'bastille-present',
        ok: true,
        detail: `bastille ${version.text} (${commands.bastille})`,
      });
    } catch (error) {
      checks.push({
        name: 'bastille-present',
        ok: false,
        detail: (error as Error).message,
        fix: 'run `bastille --version` by hand and fix what it reports (an insecure prefix mode makes it refuse)',
      });
    }
  }

  checks.push(
    (await executable(commands.jexec))
      ? { name: 'jexec-present', ok: true, detail: commands.jexec }
      : {
          name: 'jexec-present',
          ok: false,
          detail: `${commands.jexec} is missing or not executable`,
          fix: 'jexec(8) is part of FreeBSD base: point the driver at it',
        },
  );

  try {
    const stat = await lstat(prefix);
    const mode = stat.mode & 0o7777;
    const problems = [
      stat.isSymbolicLink() ? 'is a symlink' : '',
      !stat.isSymbolicLink() && !stat.isDirectory() ? 'is not a directory' : '',
      stat.uid !== 0 ? `is owned by uid ${stat.uid}` : '',
      mode !== 0o750 ? `has mode ${mode.toString(8).padStart(4, '0')}` : '',
    ].filter((problem) => problem !== '');
    checks.push(
      problems.length === 0
        ? { name: 'prefix-mode', ok: true, detail: `${prefix} root 0750` }
        : {
            name: 'prefix-mode',
            ok: false,
            detail: `${prefix} ${problems.join(', ')}`,
            fix: `chown root:wheel ${prefix} && chmod 0750 ${prefix} (Bastille refuses any other mode)`,
          },
    );
  } catch {
    checks.push({
      name: 'prefix-mode',
      ok: false,
      detail: `${prefix} does not exist`,
      fix: 'run `bastille setup`, or give the driver the prefix from bastille.conf (bastille_prefix)',
    });
  }

  const releaseDir = join(prefix, 'releases', release);
  let bootstrapped = false;
  try {
    bootstrapped = (await lstat(releaseDir)).isDirectory();
  } catch {
    bootstrapped = false;
  }
  checks.push(
    bootstrapped
      ? { name: 'release', ok: true, detail: `${release} bootstrapped (${releaseDir})` }
      : {
          name: 'release',
          ok: false,
          detail: `${release} is not bootstrapped (no ${releaseDir})`,
          fix: `bastille bootstrap ${release}`,
        },
  );

  return { ok: checks.every((check) => check.ok), checks, facts };
}
