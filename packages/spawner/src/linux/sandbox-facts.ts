import { readFile } from 'node:fs/promises';
import { keyringFilter } from './keyring-filter.js';
import type { ResolvedLinuxDriverOptions } from './linux-driver-options.js';
import { hostSystemDirs } from './sandbox-argv.js';
import { bootFacts, digest, type Facts, fileIdentity, pathIdentity } from './verified-runs.js';

const USERNS_SETTINGS = [
  '/proc/sys/user/max_user_namespaces',
  '/proc/sys/kernel/unprivileged_userns_clone',
  '/proc/sys/kernel/apparmor_restrict_unprivileged_userns',
] as const;

/**
 * What any sandbox run's outcome depends on beyond the jail itself: this boot and kernel, the user
 * namespace settings, the bwrap/setpriv/prlimit and node files, the host's /bin…/lib layout, the
 * keyring filter loaded into it, the jail root and its parents (mode and owner), and the sandbox
 * settings. Two sandbox runs with equal facts differ only in the jail uid and home — and a jail
 * uid has no groups and owns nothing outside its jail, so what one can reach, all can.
 */
export async function sandboxFacts(
  options: ResolvedLinuxDriverOptions,
  nodePath: string,
  jailRoot: string,
): Promise<Facts> {
  const userns = await Promise.all(
    USERNS_SETTINGS.map((path) =>
      readFile(path, 'utf8').then(
        (text) => text.trim(),
        () => 'absent',
      ),
    ),
  );
  let filter: string;
  try {
    filter = digest(keyringFilter());
  } catch {
    filter = 'none';
  }
  const [boot, bwrap, setpriv, prlimit, node, root] = await Promise.all([
    bootFacts(),
    fileIdentity(options.commands.bwrap),
    fileIdentity(options.commands.setpriv),
    fileIdentity(options.commands.prlimit),
    fileIdentity(nodePath),
    pathIdentity(jailRoot),
  ]);
  return {
    ...boot,
    userns,
    tools: { bwrap, setpriv, prlimit, node },
    systemDirs: hostSystemDirs(),
    filter,
    jailRoot: root,
    settings: {
      network: options.network,
      maxProcesses: options.maxProcesses,
      tmpfsSizeBytes: options.tmpfsSizeBytes,
    },
  };
}
