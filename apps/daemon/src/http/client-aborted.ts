import type { IncomingMessage } from 'node:http';

/**
 * The client hung up before its request body was read: not a server error and not the client's
 * bad input, just nobody left to answer. The server logs it as a client abort and counts it.
 */
export class ClientAbortedError extends Error {
  override readonly name = 'ClientAbortedError';

  constructor(options?: ErrorOptions) {
    super('the client closed the connection before its request body was read', options);
  }
}

/** True when `error` (thrown while reading `req`) means the client went away. */
export function isClientAbort(error: unknown, req: IncomingMessage): boolean {
  if (error instanceof ClientAbortedError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE') && !req.complete;
}
