import { spawn } from 'node:child_process';
import { Agent, request as httpRequest } from 'node:http';
import type { Socket } from 'node:net';

/** What a finished command printed and how it ended. */
export interface CommandResult {
  /** The exit code; -1 when the command could not start, timed out or died from a signal. */
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  /** True when it was killed for running longer than `timeoutMs`. */
  readonly timedOut?: boolean;
}

/** Options of one command run. */
export interface CommandRunOptions {
  /** The child's WHOLE environment: nothing is inherited from this process. */
  readonly env: Readonly<Record<string, string>>;
  /** Kill the child after this long (for {@link CommandRunner.start}: the longest one request may take). */
  readonly timeoutMs: number;
  /** Text for its stdin; stdin is closed (empty) otherwise, so the child can never wait on a prompt. */
  readonly stdin?: string;
}

/** One HTTP/1.1 request to a {@link ConnectedProcess}. */
export interface ConnectedRequest {
  readonly method: 'GET' | 'POST';
  /** Path and query, e.g. `/list/object/items?collectionid=…`. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent as the body (e.g. JSON text); it travels only over the private socket pair. */
  readonly body?: string;
}

/** An answer of a {@link ConnectedProcess}. */
export interface ConnectedResponse {
  readonly status: number;
  readonly body: string;
}

/**
 * A long-lived child that speaks HTTP over its fd 3, one end of a socket pair whose other end only
 * this process holds: nothing listens, so nothing else on the host can talk to it.
 */
export interface ConnectedProcess {
  /**
   * Sends one request over the socket pair (requests are answered one after the other) and resolves
   * with the answer; rejects when the connection broke (the child ended) or `timeoutMs` passed.
   */
  request(request: ConnectedRequest): Promise<ConnectedResponse>;
  /** Settles when the child has exited by itself or was stopped; stdout is always empty (discarded). */
  readonly exited: Promise<CommandResult>;
  /** Closes the socket, sends SIGTERM (SIGKILL after a grace period) and waits for the child's exit. */
  stop(): Promise<CommandResult>;
}

/**
 * Runs a program with an argv array (never through a shell) and an explicit environment. The
 * Bitwarden source runs `bw` only through this port, so tests can script bw's behaviour.
 */
export interface CommandRunner {
  run(file: string, args: readonly string[], options: CommandRunOptions): Promise<CommandResult>;
  /** Starts `file` with its fd 3 connected to this process (see {@link ConnectedProcess}). */
  start(file: string, args: readonly string[], options: CommandRunOptions): ConnectedProcess;
}

/** Grace between SIGTERM and SIGKILL when stopping a connected child. */
const STOP_GRACE_MS = 5_000;
/** Largest answer accepted from a connected child (a tenant's items are far smaller). */
const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
/** Largest stderr kept from a connected child. */
const MAX_STDERR_CHARS = 64 * 1024;

/**
 * The real runner: execa, no shell, no inherited environment, never rejects. execa is loaded on
 * the first run: spawn-agent and provision-tenant with a directory source never run bw, and execa's
 * module tree costs every start that imports the vault tens of milliseconds.
 */
export function createExecaRunner(): CommandRunner {
  return {
    async run(file, args, options) {
      const { execa } = await import('execa');
      const result = await execa(file, args, {
        env: options.env,
        extendEnv: false,
        shell: false,
        reject: false,
        timeout: options.timeoutMs,
        input: options.stdin ?? '',
        stripFinalNewline: false,
        windowsHide: true,
      });
      const stdout = typeof result.stdout === 'string' ? result.stdout : '';
      let stderr = typeof result.stderr === 'string' ? result.stderr : '';
      if (result.exitCode === undefined && !result.timedOut && stderr === '') {
        // It never started (e.g. ENOENT) or died from a signal: execa's message says which, and
        // names only the file and the argv, which never hold a secret.
        stderr = result.originalMessage ?? result.shortMessage ?? 'the command did not run';
      }
      return {
        exitCode: result.exitCode ?? -1,
        stdout,
        stderr,
        ...(result.timedOut ? { timedOut: true } : {}),
      };
    },
    start: startConnected,
  };
}

/**
 * node:child_process with `stdio[3] = 'pipe'`: on Unix that is a socketpair(2), so the child's fd 3
 * is connected to this process only. HTTP runs over it through an Agent that owns exactly that one
 * socket (keep-alive, one request at a time).
 */
function startConnected(file: string, args: readonly string[], options: CommandRunOptions): ConnectedProcess {
  const child = spawn(file, [...args], {
    env: { ...options.env },
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    shell: false,
    windowsHide: true,
  });
  let stderr = '';
  let spawnError: string | undefined;
  child.stdout?.resume(); // never read: it could only hold what the child prints, never needed
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    if (stderr.length < MAX_STDERR_CHARS) stderr += chunk;
  });
  let stopping = false;
  const exited = new Promise<CommandResult>((resolve) => {
    child.once('error', (error) => {
      spawnError = error.message;
      // A child that never started emits no 'close' on some Node versions.
      if (child.pid === undefined) resolve({ exitCode: -1, stdout: '', stderr: spawnError });
    });
    child.once('close', (code, signal) => {
      const said =
        stderr !== '' ? stderr : (spawnError ?? (signal !== null && !stopping ? `killed by ${signal}` : ''));
      resolve({ exitCode: code ?? -1, stdout: '', stderr: said });
    });
  });
  const socket = child.stdio[3] as Socket | null;
  socket?.on('error', () => undefined); // surfaced through the request that was in flight
  // Once the child is gone its end of the pair is closed; drop ours so 'close' can follow.
  child.once('exit', () => setImmediate(() => socket?.destroy()));

  class OneSocketAgent extends Agent {
    override createConnection(): Socket {
      if (socket === null) throw new Error('the child has no fd 3');
      return socket;
    }
  }
  const agent = new OneSocketAgent({ keepAlive: true, maxSockets: 1 });
  let previous: Promise<unknown> = Promise.resolve();

  function send(req: ConnectedRequest): Promise<ConnectedResponse> {
    return new Promise((resolve, reject) => {
      if (socket === null || socket.destroyed || child.exitCode !== null || child.signalCode !== null) {
        reject(new Error('the connection to the child is closed (it ended)'));
        return;
      }
      const body = req.body === undefined ? undefined : Buffer.from(req.body, 'utf8');
      const outgoing = httpRequest(
        {
          agent,
          method: req.method,
          path: req.path,
          headers: {
            ...req.headers,
            ...(body === undefined ? {} : { 'content-length': String(body.length) }),
          },
          timeout: options.timeoutMs,
        },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_RESPONSE_BYTES) {
              outgoing.destroy(new Error(`the answer is larger than ${MAX_RESPONSE_BYTES} bytes`));
              return;
            }
            chunks.push(chunk);
          });
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
          );
          response.on('error', reject);
        },
      );
      outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }

  return {
    request(req) {
      const next = previous.then(
        () => send(req),
        () => send(req),
      );
      previous = next.catch(() => undefined);
      return next;
    },
    exited,
    async stop() {
      stopping = true;
      agent.destroy();
      socket?.destroy();
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        try {
          return await exited;
        } finally {
          clearTimeout(timer);
        }
      }
      return exited;
    },
  };
}
