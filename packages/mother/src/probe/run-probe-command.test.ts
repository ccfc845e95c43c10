import { describe, expect, it } from 'vitest';
import { createProbeCommandRunner } from './run-probe-command.js';

const PATH = '/usr/local/bin:/usr/bin:/bin';

describe('createProbeCommandRunner (real processes)', () => {
  it('returns the exit code and both outputs, each without its final newline', async () => {
    const run = createProbeCommandRunner({ PATH });
    await expect(
      run('/bin/sh', ['-c', 'echo out; echo err >&2; exit 3'], { timeoutMs: 10_000 }),
    ).resolves.toEqual({
      exitCode: 3,
      stdout: 'out',
      stderr: 'err',
    });
  });

  it('runs in exactly the environment given, plus LC_ALL=C, with stdin closed', async () => {
    const run = createProbeCommandRunner({ PATH, FOO: 'bar', UNSET: undefined });
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
    const script = 'echo "$FOO|${HOME-none}|$LC_ALL|${UNSET-none}"; cat';
    const result = await run('/bin/sh', ['-c', script], {
      timeoutMs: 10_000,
    });
    expect(result).toEqual({ exitCode: 0, stdout: 'bar|none|C|none', stderr: '' });
  });

  it('kills a command past its timeout, with SIGKILL when it ignores SIGTERM', async () => {
    const run = createProbeCommandRunner({ PATH });
    const result = await run('/bin/sh', ['-c', 'trap "" TERM; exec sleep 30'], {
      timeoutMs: 100,
    });
    expect(result.exitCode).toBeNull();
  });

  it('cuts a flood of output at 64 KiB and stops the command', async () => {
    const run = createProbeCommandRunner({ PATH });
    const result = await run('/usr/bin/yes', [], { timeoutMs: 30_000 });
    expect(result.exitCode).toBeNull();
    expect(result.stdout.length).toBeLessThanOrEqual(64 * 1024);
    expect(result.stdout.length).toBeGreaterThan(60 * 1024);
  });

  it('rejects when the file cannot be run', async () => {
    const run = createProbeCommandRunner({ PATH });
    await expect(run('/nonexistent/tool', ['--version'], { timeoutMs: 1_000 })).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });
});
