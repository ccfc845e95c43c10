import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { clearStaleSocket } from './unix-socket.js';

const dir = mkdtempSync(join(tmpdir(), 'colibri-sock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('clearStaleSocket', () => {
  it('does nothing when there is no socket', async () => {
    expect(await clearStaleSocket(join(dir, 'none.sock'))).toBe('absent');
  });

  it('removes a socket nobody answers on', async () => {
    const path = join(dir, 'stale.sock');
    // A process that listens and is then killed with -9: the file stays, the listener is gone.
    const child = spawn(
      process.execPath,
      ['-e', `require('node:net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise((resolve) => child.stdout.once('data', resolve));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(existsSync(path)).toBe(true);
    expect(await clearStaleSocket(path)).toBe('removed');
    expect(existsSync(path)).toBe(false);
  });

  it('refuses when a live server answers, and never deletes a non-socket', async () => {
    const path = join(dir, 'live.sock');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      await expect(clearStaleSocket(path)).rejects.toThrow(/already serving/);
      expect(existsSync(path)).toBe(true);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    const file = join(dir, 'file.sock');
    writeFileSync(file, 'data');
    await expect(clearStaleSocket(file)).rejects.toThrow(/not a socket/);
    expect(existsSync(file)).toBe(true);
  });
});
