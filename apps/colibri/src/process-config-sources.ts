import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import type { ConfigSources } from './resolve-config.js';

/** The running process's own {@link ConfigSources}: what every entry point (oclif, the fast path, the jail's run-agent) resolves its configuration from. */
export function processConfigSources(env: Readonly<Record<string, string | undefined>>): ConfigSources {
  return {
    env,
    platform: process.platform,
    uid: process.geteuid?.() ?? -1,
    homedir: homedir(),
    cwd: process.cwd(),
    readTextFile: (path) => {
      try {
        return readFileSync(path, 'utf8');
      } catch {
        return undefined;
      }
    },
  };
}
