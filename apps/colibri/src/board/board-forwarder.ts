import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running forwarder: the board on a loopback port, colibrid on its Unix socket behind it. */
export interface BoardForwarder {
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  readonly port: number;
  /** Stops listening and cuts open connections (the board's event streams). */
  close(): Promise<void>;
}

/** Where to forward and on which loopback port (0 = a free one). */
export interface BoardForwarderOptions {
  readonly socketPath: string;
  readonly port?: number;
}

// Hop-by-hop headers are the forwarder's own business; a bearer token has no business on /board.
const DROPPED = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'authorization',
]);

function forwardable(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (!DROPPED.has(name)) out[name] = value;
  return out;
}

function refuse(res: http.ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`${text}\n`);
}

/**
 * A browser cannot open a Unix socket, so `colibri board` listens on 127.0.0.1 (never another
 * interface) and forwards `/board` — only the board, not the API — to colibrid's socket. Requests
 * naming another host (a DNS-rebinding page) are refused, and no Authorization header passes:
 * whoever reaches the port still needs a board session, which only a sign-in gives.
 */
export function startBoardForwarder(options: BoardForwarderOptions): Promise<BoardForwarder> {
  let port = 0;
  const server = http.createServer((req, res) => {
    const host = req.headers.host ?? '';
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
      refuse(res, 421, `this forwarder serves http://127.0.0.1:${port}/board only`);
      return;
    }
    const path = req.url ?? '/';
    if (path !== '/board' && !path.startsWith('/board/') && !path.startsWith('/board?')) {
      refuse(res, 404, 'only the board (/board) is forwarded here; the API stays on the socket');
      return;
    }
    const upstream = http.request(
      { socketPath: options.socketPath, method: req.method, path, headers: forwardable(req.headers) },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, forwardable(answer.headers));
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (res.headersSent) res.destroy();
      else refuse(res, 502, `colibrid is not answering on ${options.socketPath}`);
    });
    // The browser left (a closed tab ends its event stream): let colibrid know at once.
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      port = (server.address() as AddressInfo).port;
      resolve({
        origin: `http://127.0.0.1:${port}`,
        port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
