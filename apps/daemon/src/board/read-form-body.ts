import type { IncomingMessage } from 'node:http';
import { ColibriError } from '@colibri/errors';

/** Board forms are tiny: a token, a CSRF token, a choice. */
export const MAX_FORM_BYTES = 16 * 1024;

/**
 * Reads an `application/x-www-form-urlencoded` body (what HTML forms and htmx send) into its
 * fields. Another content type, a field given twice, or more than `maxBytes` is refused.
 */
export async function readFormBody(
  req: IncomingMessage,
  maxBytes = MAX_FORM_BYTES,
): Promise<Readonly<Record<string, string>>> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    req.resume();
    throw new ColibriError(
      'COLIBRI_INVALID_INPUT',
      'the board takes forms only (content-type application/x-www-form-urlencoded)',
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      throw new ColibriError('COLIBRI_PAYLOAD_TOO_LARGE', `a board form is at most ${maxBytes} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  const fields: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(Buffer.concat(chunks).toString('utf8'))) {
    if (Object.hasOwn(fields, key)) {
      throw new ColibriError('COLIBRI_INVALID_INPUT', `form field ${key} is given twice`, { field: key });
    }
    fields[key] = value;
  }
  return Object.freeze(fields);
}
