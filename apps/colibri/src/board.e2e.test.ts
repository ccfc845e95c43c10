import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BoardInfo } from './commands/board.js';
import { COLIBRI_BIN, cleanEnv, type Hive, startHive } from './testing/colibri-process.test-helper.js';

function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('colibri board against a real colibrid', { timeout: 60_000 }, () => {
  let hive: Hive;
  let dir: string;

  beforeAll(async () => {
    hive = await startHive();
    dir = mkdtempSync(join(tmpdir(), 'colibri-board-cli-'));
  });
  afterAll(async () => {
    await hive?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('forwards /board (only) on 127.0.0.1, opens a one-time sign-in link, and stops on SIGTERM', async () => {
    // A stand-in browser: it records what it was asked to open, the page it was given, and whether
    // it inherited a token.
    const opened = join(dir, 'opened.txt');
    const browser = join(dir, 'browser.sh');
    writeFileSync(
      browser,
      `#!/bin/sh\nf=$(printf '%s' "$1" | sed 's|^file://||')\n{ printf '%s\\n' "$1"; cat "$f"; printf '\\ntoken:%s\\n' "$COLIBRI_TOKEN"; } > '${opened}.tmp' && mv '${opened}.tmp' '${opened}'\n`,
    );
    chmodSync(browser, 0o755);
    const child = spawn(process.execPath, [COLIBRI_BIN, 'board', '--json'], {
      env: cleanEnv({ COLIBRI_HOME: hive.home, BROWSER: browser, COLIBRI_TOKEN: hive.operatorToken }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const info = await new Promise<BoardInfo>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!) as BoardInfo);
      });
      child.once('exit', (code) => reject(new Error(`colibri board exited ${code} before printing`)));
    });
    try {
      expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/board$/);
      expect(info).toMatchObject({ forwarding: hive.socket, opened: true });
      expect(info.loginUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/board\/login\?code=[\w-]{43}$/);
      expect(info.loginUrl).not.toContain(hive.operatorToken);
      for (let i = 0; i < 100 && !existsSync(opened); i++) await new Promise((r) => setTimeout(r, 20));
      // Not on the browser's argv (any local user can read it): a file page that redirects there.
      const [argv, ...rest] = readFileSync(opened, 'utf8').split('\n');
      expect(argv).toMatch(/^file:\/\/.*sign-in\.html$/);
      expect(argv).not.toContain('code=');
      expect(rest.join('\n')).toContain(`content="0;url=${info.loginUrl}"`);
      expect(rest.join('\n')).toContain('token:\n');

      // The link signs in once: a session cookie, a redirect to a URL with no secret in it.
      const signIn = await get(info.loginUrl);
      expect(signIn.status).toBe(303);
      expect(signIn.headers.location).toBe('/board');
      const cookie = String(signIn.headers['set-cookie']);
      expect(cookie).toMatch(/^colibri_board=[\w-]+; Path=\/board; HttpOnly; SameSite=Strict/);
      const page = await get(info.url, { cookie: cookie.split(';')[0]! });
      expect(page.status).toBe(200);
      expect(page.text).toContain('signed in as the operator');
      expect(page.headers['content-security-policy']).toContain("script-src 'self'");
      expect((await get(info.loginUrl)).status).toBe(401);

      // Only the board passes, only for this host name, and never a bearer token.
      const origin = new URL(info.url).origin;
      const api = await get(`${origin}/v1/status`, { authorization: `Bearer ${hive.operatorToken}` });
      expect(api.status).toBe(404);
      expect(api.text).toContain('only the board');
      const rebound = await get(info.url, { host: 'evil.example', cookie: cookie.split(';')[0]! });
      expect(rebound.status).toBe(421);
      const bearer = await get(info.url, { authorization: `Bearer ${hive.operatorToken}` });
      expect(bearer.status).toBe(401);
      expect(bearer.text).not.toContain('signed in as');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    await expect(get(info.url)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('refuses a token nobody issued before anything listens', async () => {
    const bad = await hive.colibri(['board', '--no-open'], { COLIBRI_TOKEN: 'not-a-token' });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('COLIBRI_UNAUTHENTICATED');
    expect(bad.stdout).not.toContain('board:');
  });
});
