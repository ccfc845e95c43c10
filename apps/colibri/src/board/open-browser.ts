import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** What a browser we start may inherit: never a colibri token nor the vault's credentials. */
function browserEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(env)) {
    if (key === 'COLIBRI_TOKEN' || key.startsWith('BW_')) continue;
    clean[key] = value;
  }
  return clean;
}

/** A browser that was started, and the one-time page it was given (removed by `dispose`). */
export interface OpenedBrowser {
  /** Removes the sign-in page (it is only needed until the browser has read it). */
  dispose(): void;
}

const escapeAttribute = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/**
 * Opens the one-time sign-in `url` in the user's browser: `$BROWSER` when set (as most tools do),
 * else `open` on macOS and `xdg-open` elsewhere. The URL carries a one-time code, so it never goes
 * on the browser's command line (any local user can read another process's argv): the browser is
 * given a page (mode 0600 in a private 0700 directory) that redirects to it, and the browser's
 * environment drops COLIBRI_TOKEN and BW_*. Resolves undefined when nothing could be started (the
 * caller prints the link instead).
 */
export function openBrowser(
  url: string,
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform,
): Promise<OpenedBrowser | undefined> {
  const command = env.BROWSER?.trim() || (platform === 'darwin' ? 'open' : 'xdg-open');
  const dir = mkdtempSync(join(tmpdir(), 'colibri-board-'));
  const page = join(dir, 'sign-in.html');
  writeFileSync(
    page,
    `<!doctype html><meta charset="utf-8"><meta name="referrer" content="no-referrer"><meta http-equiv="refresh" content="0;url=${escapeAttribute(url)}"><title>colibri board</title>\n`,
    { mode: 0o600 },
  );
  const dispose = () => rmSync(dir, { recursive: true, force: true });
  return new Promise((resolve) => {
    const child = spawn(command, [pathToFileURL(page).href], {
      stdio: 'ignore',
      detached: true,
      env: browserEnvironment(env),
    });
    child.once('error', () => {
      dispose();
      resolve(undefined);
    });
    child.once('spawn', () => {
      child.unref();
      resolve({ dispose });
    });
  });
}
