// Real processes: small shell scripts as handlers, run the way the agent runs them.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type HandlerOutcome, type RunHandlerOptions, runHandler } from './run-handler.js';

const dir = mkdtempSync(join(tmpdir(), 'colibri-run-handler-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function handler(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
const run = (executable: string, extra: Partial<RunHandlerOptions> = {}) =>
  runHandler({ executable, input: '{"handler":"x","n":2}', env, cwd: dir, timeoutMs: 30_000, ...extra });

/** True while `pid` is a live process (a zombie awaiting its reaper counts as gone). */
function alive(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return false;
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(stat, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Waits until `pid` has died. A signalled process is not gone the instant kill() returns, nor when
 * its pipes close (files are closed early in exit): wait for the death itself, bounded as a guard.
 */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 500 && alive(pid); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  return !alive(pid);
}

async function waitForFile(path: string): Promise<string> {
  for (let i = 0; i < 2000; i++) {
    if (existsSync(path)) {
      const text = readFileSync(path, 'utf8').trim();
      if (text !== '') return text;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`${path} never appeared`);
}

/** An outcome without its raw stderr bytes (checked on their own below). */
function withoutStderr(outcome: HandlerOutcome): unknown {
  if (outcome.status === 'aborted') return outcome;
  const { stderr: _stderr, ...rest } = outcome;
  return rest;
}

describe('runHandler', () => {
  it('hands the payload on stdin; JSON on stdout is the result', async () => {
    const echo = handler('json', 'cat');
    expect(withoutStderr(await run(echo))).toEqual({ status: 'done', result: { handler: 'x', n: 2 } });
  });

  it('stdout that is not JSON becomes { stdout }', async () => {
    const text = handler('text', 'echo "rendered 3 frames"');
    expect(withoutStderr(await run(text))).toEqual({
      status: 'done',
      result: { stdout: 'rendered 3 frames\n' },
    });
    const silent = handler('silent', 'exit 0');
    expect(withoutStderr(await run(silent))).toEqual({ status: 'done', result: { stdout: '' } });
  });

  it('the environment is exactly what it is given', async () => {
    const printEnv = handler('env', 'env');
    const outcome = await run(printEnv, { env: { ...env, COLIBRI_TASK_ID: 't-1' } });
    expect(outcome.status).toBe('done');
    const lines = ((outcome as { result: { stdout: string } }).result.stdout as string)
      .split('\n')
      .filter((line) => line !== '' && !/^(PWD|SHLVL|_|OLDPWD)=/.test(line));
    expect(lines.sort()).toEqual([`PATH=${env.PATH}`, 'COLIBRI_TASK_ID=t-1'].sort());
  });

  it('a non-zero exit fails with the exit code and the tail of stderr', async () => {
    const failing = handler(
      'failing',
      'i=0; while [ $i -lt 200 ]; do echo "line $i of noise" >&2; i=$((i+1)); done; echo "the real cause" >&2; exit 3',
    );
    const outcome = await run(failing, { stderrTailBytes: 64 });
    expect(outcome).toMatchObject({
      status: 'failed',
      reason: 'handler exited with code 3',
      details: { code: 'COLIBRI_HANDLER_FAILED', exitCode: 3, signal: null },
    });
    const { stderr } = (outcome as { details: { stderr: string } }).details;
    expect(Buffer.byteLength(stderr)).toBeLessThanOrEqual(64);
    expect(stderr.endsWith('the real cause\n')).toBe(true);
  });

  it('a timeout stops the whole process group, the grandchild too', async () => {
    const pidFile = join(dir, 'grandchild.pid');
    const slow = handler('slow', `sleep 1000 &\necho $! > ${pidFile}\nwait`);
    const running = run(slow, { timeoutMs: 500, killGraceMs: 500 });
    const grandchild = Number(await waitForFile(pidFile));
    expect(alive(grandchild)).toBe(true);
    const outcome = await running;
    expect(outcome).toMatchObject({
      status: 'failed',
      reason: 'handler did not finish within 0.5 s: its process group was stopped',
      details: { code: 'COLIBRI_HANDLER_TIMEOUT', exitCode: null, signal: 'SIGTERM' },
    });
    expect(await gone(grandchild)).toBe(true);
  });

  it('a handler that ignores SIGTERM is SIGKILLed after the grace', async () => {
    const stubborn = handler('stubborn', "trap '' TERM\nwhile :; do sleep 0.05; done");
    const outcome = await run(stubborn, { timeoutMs: 200, killGraceMs: 200 });
    expect(outcome).toMatchObject({
      status: 'failed',
      details: { code: 'COLIBRI_HANDLER_TIMEOUT', signal: 'SIGKILL' },
    });
  });

  it('a background process left behind by a handler that succeeded dies with it', async () => {
    const pidFile = join(dir, 'leftover.pid');
    const leaves = handler('leaves', `sleep 1000 &\necho $! > ${pidFile}\necho '{"ok":true}'`);
    expect(withoutStderr(await run(leaves))).toEqual({ status: 'done', result: { ok: true } });
    expect(await gone(Number(await waitForFile(pidFile)))).toBe(true);
  });

  it('more stdout than the cap stops the handler and fails the task with a clear reason', async () => {
    const chatty = handler('chatty', 'yes colibri');
    const outcome = await run(chatty, { maxOutputBytes: 10_000 });
    expect(outcome).toMatchObject({ status: 'failed', details: { code: 'COLIBRI_HANDLER_FAILED' } });
    expect((outcome as { reason: string }).reason).toMatch(
      /wrote more than 10000 bytes to stdout \(the agent's output limit\): it was stopped/,
    );
    const exact = handler('exact', 'printf "%s" "1234567890"');
    expect(withoutStderr(await run(exact, { maxOutputBytes: 10 }))).toEqual({
      status: 'done',
      result: 1234567890,
    });
  });

  it('keeps the last stderrKeepBytes of stderr raw on every outcome; a failure quotes only stderrTailBytes', async () => {
    const noisy = handler('noisy-ok', 'head -c 5000 /dev/zero | tr "\\0" a >&2; echo " end" >&2');
    const done = await run(noisy, { stderrTailBytes: 16, stderrKeepBytes: 1000 });
    expect(done.status).toBe('done');
    const kept = (done as { stderr: Buffer }).stderr.toString();
    expect(kept).toHaveLength(1000);
    expect(kept.endsWith('aaa end\n')).toBe(true);
    const failing = handler(
      'noisy-fails',
      'head -c 5000 /dev/zero | tr "\\0" b >&2; echo " end" >&2; exit 1',
    );
    const failed = await run(failing, { stderrTailBytes: 16, stderrKeepBytes: 1000 });
    expect((failed as { stderr: Buffer }).stderr).toHaveLength(1000);
    expect((failed as { details: { stderr: string } }).details.stderr).toBe('bbbbbbbbbbb end\n');
  });

  it('an abort stops it at once and reports no outcome of its own', async () => {
    const pidFile = join(dir, 'aborted.pid');
    const waits = handler('waits', `echo $$ > ${pidFile}\nsleep 1000`);
    const controller = new AbortController();
    const running = run(waits, { signal: controller.signal });
    const pid = Number(await waitForFile(pidFile));
    controller.abort();
    expect(await running).toEqual({ status: 'aborted' });
    expect(await gone(pid)).toBe(true);
  });

  it('a handler that cannot start fails the task instead of throwing', async () => {
    const outcome = await run(join(dir, 'does-not-exist'));
    expect(outcome).toMatchObject({
      status: 'failed',
      details: { code: 'COLIBRI_HANDLER_FAILED', exitCode: null },
    });
    expect((outcome as { reason: string }).reason).toMatch(/could not be started: .*ENOENT/);
  });

  it('a handler that never reads its stdin still runs', async () => {
    const deaf = handler('deaf', 'echo 42');
    expect(withoutStderr(await run(deaf, { input: 'x'.repeat(1024 * 1024) }))).toEqual({
      status: 'done',
      result: 42,
    });
  });
});
