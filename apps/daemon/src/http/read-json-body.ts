import type { IncomingMessage } from 'node:http';
import { ColibriError } from '@colibri/errors';
import { ClientAbortedError, isClientAbort } from './client-aborted.js';

/** Bodies above this are refused with 413 (a task payload may be 1 MiB of JSON, plus its envelope). */
export const MAX_BODY_BYTES = 1024 * 1024 + 64 * 1024;
/** Past this many bytes of an oversized body the connection is cut instead of drained. */
const DRAIN_LIMIT_BYTES = 16 * 1024 * 1024;

function tooLarge(limit: number): ColibriError {
  return new ColibriError(
    'COLIBRI_PAYLOAD_TOO_LARGE',
    `request body is larger than ${limit} bytes; keep payloads and results under 1 MiB of JSON`,
    { limit },
  );
}

/**
 * Reads a request body as JSON: `undefined` when there is none. Refuses a non-JSON content type,
 * malformed JSON and bodies over `limit` (`COLIBRI_PAYLOAD_TOO_LARGE`). An oversized body is
 * drained (up to a bound) so the client reads the 413 instead of a reset. A client that hangs up
 * before the whole body arrived is a {@link ClientAbortedError}.
 */
export async function readJsonBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<unknown> {
  const declared = req.headers['content-length'];
  const hasBody =
    (declared !== undefined && declared !== '0') || req.headers['transfer-encoding'] !== undefined;
  if (!hasBody) {
    req.resume();
    return undefined;
  }
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    req.resume();
    throw new ColibriError(
      'COLIBRI_INVALID_INPUT',
      `request body must be JSON with Content-Type: application/json (got ${type ? JSON.stringify(type) : 'no content type'})`,
      { contentType: type ?? null },
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let over = declared !== undefined && Number(declared) > limit;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) over = true;
      if (over) {
        if (size > DRAIN_LIMIT_BYTES) {
          req.socket.destroy();
          throw tooLarge(limit);
        }
        continue;
      }
      chunks.push(chunk);
    }
  } catch (error) {
    if (isClientAbort(error, req)) throw new ClientAbortedError({ cause: error });
    throw error;
  }
  // A peer that half-closes mid-body ends the stream without an error: the body is cut short.
  if (!req.complete) throw new ClientAbortedError();
  if (over) throw tooLarge(limit);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ColibriError(
      'COLIBRI_INVALID_INPUT',
      `request body is not valid JSON: ${(error as Error).message}`,
      {},
    );
  }
}
