import { describe, expect, it } from 'vitest';
import { createExecaRunner } from './command-runner.js';

const runner = createExecaRunner();
const PRINT_ENV = 'process.stdout.write(JSON.stringify(process.env))';

describe('createExecaRunner', () => {
  it('gives the child exactly the environment passed, nothing inherited', async () => {
    process.env.COLIBRI_TEST_LEAK = 'must-not-reach-the-child';
    try {
      const result = await runner.run(process.execPath, ['-e', PRINT_ENV], {
        env: { ONLY: 'this' },
        timeoutMs: 30_000,
      });
      expect(result.exitCode).toBe(0);
      const env = JSON.parse(result.stdout) as Record<string, string>;
      expect(env.ONLY).toBe('this');
      expect(env).not.toHaveProperty('COLIBRI_TEST_LEAK');
      expect(env).not.toHaveProperty('PATH');
    } finally {
      delete process.env.COLIBRI_TEST_LEAK;
    }
  });

  it('passes argv verbatim (no shell) and reports exit code and stderr', async () => {
    const result = await runner.run(
      process.execPath,
      ['-e', 'process.stderr.write(process.argv[1]); process.exit(3)', '$(touch /tmp/x); `id` *'],
      { env: {}, timeoutMs: 30_000 },
    );
    expect(result).toMatchObject({ exitCode: 3, stderr: '$(touch /tmp/x); `id` *' });
  });

  it('closes stdin (a prompt reads EOF) unless text is given', async () => {
    const script = 'let d="";process.stdin.on("data",c=>d+=c).on("end",()=>process.stdout.write("got:"+d))';
    expect((await runner.run(process.execPath, ['-e', script], { env: {}, timeoutMs: 30_000 })).stdout).toBe(
      'got:',
    );
    expect(
      (await runner.run(process.execPath, ['-e', script], { env: {}, timeoutMs: 30_000, stdin: 'hi' }))
        .stdout,
    ).toBe('got:hi');
  });

  it('reports a timeout and a program that cannot start as exit code -1', async () => {
    const slow = await runner.run(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], {
      env: {},
      timeoutMs: 200,
    });
    expect(slow).toMatchObject({ exitCode: -1, timedOut: true });
    const missing = await runner.run('/nonexistent/bw', [], { env: {}, timeoutMs: 30_000 });
    expect(missing.exitCode).toBe(-1);
    expect(missing.stderr).toContain('ENOENT');
  });
});
