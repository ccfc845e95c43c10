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

// A child serving HTTP on its fd 3 exactly as `bw serve --hostname fd+connected://3` does: one
// connection handed to an http.Server, nothing listening.
const FD3_SERVER = `
const http = require('node:http');
const net = require('node:net');
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c)).on('end', () => {
    if (req.url === '/crash') { process.stderr.write('crashing as asked'); process.exit(4); }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ method: req.method, url: req.url, host: req.headers.host, body, env: process.env }));
  });
});
server.keepAliveTimeout = 0;
server.emit('connection', new net.Socket({ fd: 3, readable: true, writable: true }));
`;

describe('createExecaRunner().start: HTTP over a socket pair on the child fd 3', () => {
  it('answers requests one after the other on one connection, with exactly the environment passed', async () => {
    const child = runner.start(process.execPath, ['-e', FD3_SERVER], {
      env: { ONLY: 'this' },
      timeoutMs: 30_000,
    });
    try {
      const answers = await Promise.all([
        child.request({ method: 'GET', path: '/status', headers: { host: 'localhost:8087' } }),
        child.request({ method: 'POST', path: '/unlock', body: '{"password":"p w"}' }),
      ]);
      const [first, second] = answers.map((answer) => JSON.parse(answer.body));
      expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
      expect(first).toMatchObject({ method: 'GET', url: '/status', host: 'localhost:8087', body: '' });
      expect(first.env).toEqual({ ONLY: 'this' });
      expect(second).toMatchObject({ method: 'POST', url: '/unlock', body: '{"password":"p w"}' });
    } finally {
      expect((await child.stop()).exitCode).toBe(-1); // SIGTERM
    }
  });

  it('rejects a request when the child dies, and reports how it ended', async () => {
    const child = runner.start(process.execPath, ['-e', FD3_SERVER], { env: {}, timeoutMs: 30_000 });
    await expect(child.request({ method: 'POST', path: '/crash', body: 'x' })).rejects.toThrow();
    expect(await child.exited).toMatchObject({ exitCode: 4, stderr: 'crashing as asked', stdout: '' });
    await expect(child.request({ method: 'GET', path: '/after' })).rejects.toThrow();
    expect((await child.stop()).exitCode).toBe(4);
  });

  it('times out a request the child never answers, and a program that cannot start ends with -1', async () => {
    const silent = runner.start(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], {
      env: {},
      timeoutMs: 200,
    });
    await expect(silent.request({ method: 'GET', path: '/' })).rejects.toThrow(/no answer within 200 ms/);
    await silent.stop();
    const missing = runner.start('/nonexistent/bw', [], { env: {}, timeoutMs: 30_000 });
    await expect(missing.request({ method: 'GET', path: '/' })).rejects.toThrow();
    expect(await missing.exited).toMatchObject({ exitCode: -1 });
    expect((await missing.exited).stderr).toContain('ENOENT');
  });
});
