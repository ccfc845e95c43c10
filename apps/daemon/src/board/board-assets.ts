import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { BOARD_CSS } from './assets/board-css.js';
import { BOARD_JS } from './assets/board-js.js';

/** One static file the board serves under `/board/assets/`. */
export interface BoardAsset {
  readonly body: Buffer;
  readonly contentType: string;
  /** A strong ETag (sha256 of the body). */
  readonly etag: string;
}

const require = createRequire(import.meta.url);

/** A hexagon of the hive. */
const FAVICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><path d="M16 2l12 7v14l-12 7-12-7V9z" fill="#2d6cdf"/></svg>';

function asset(body: string | Buffer, contentType: string): BoardAsset {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return {
    body: bytes,
    contentType,
    etag: `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 27)}"`,
  };
}

/**
 * The board's scripts and styles, all served by colibrid itself (no CDN): htmx 2.0 and its SSE
 * extension from the versions installed with colibrid, and the board's own stylesheet and small
 * script. Read once, at start.
 */
export function loadBoardAssets(): ReadonlyMap<string, BoardAsset> {
  const js = 'text/javascript; charset=utf-8';
  return new Map([
    ['htmx.min.js', asset(readFileSync(require.resolve('htmx.org/dist/htmx.min.js')), js)],
    ['sse.js', asset(readFileSync(require.resolve('htmx-ext-sse/dist/sse.min.js')), js)],
    ['board.js', asset(BOARD_JS, js)],
    ['board.css', asset(BOARD_CSS, 'text/css; charset=utf-8')],
    ['favicon.svg', asset(FAVICON, 'image/svg+xml')],
  ]);
}
