import { html, type SafeHtml } from '../html.js';

/** The session's parts a page needs: who is looking, the CSRF token for forms, the refresh choice. */
export interface PageContext {
  /** "operator", or "agent NAME (tenant T)". */
  readonly viewerLabel: string;
  readonly csrf: string;
  readonly refreshSeconds: number;
}

/** The fallback refresh intervals an operator may pick (seconds; 0 = push only). */
export const REFRESH_CHOICES: readonly number[] = [0, 5, 15, 30, 60, 300];

// htmx reads its settings from this meta tag: nothing evaluated, no inline style injected (the
// CSP forbids both), no history snapshots in localStorage, requests to this origin only.
const HTMX_CONFIG = JSON.stringify({
  allowEval: false,
  allowScriptTags: false,
  includeIndicatorStyles: false,
  historyEnabled: false,
  historyCacheSize: 0,
  selfRequestsOnly: true,
});

function head(title: string): SafeHtml {
  return html`<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="htmx-config" content="${HTMX_CONFIG}">
<title>${title} · colibri board</title>
<link rel="icon" href="/board/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/board/assets/board.css">
<script src="/board/assets/htmx.min.js" defer></script>
<script src="/board/assets/sse.js" defer></script>
<script src="/board/assets/board.js" defer></script>
</head>`;
}

function refreshLabel(seconds: number): string {
  if (seconds === 0) return 'push only';
  return seconds < 60 ? `every ${seconds}s` : `every ${seconds / 60}m`;
}

/** A CSRF-carrying hidden field for a POST form. */
export function csrfField(csrf: string): SafeHtml {
  return html`<input type="hidden" name="csrf" value="${csrf}">`;
}

/**
 * A signed-in page. With `liveUrl`, its main part re-fetches itself from that URL when the server
 * pushes `changed` (server-sent events) and, as a fallback, every `refreshSeconds`.
 */
export function page(
  context: PageContext,
  title: string,
  content: SafeHtml,
  liveUrl: string | null,
  search = '',
): SafeHtml {
  const every = context.refreshSeconds > 0 ? `, every ${context.refreshSeconds}s` : '';
  const main =
    liveUrl === null
      ? html`<main id="page">${content}</main>`
      : html`<div sse-connect="/board/events"><main id="live" hx-get="${liveUrl}" hx-trigger="sse:changed, board:refresh${every}" hx-swap="innerHTML">${content}</main></div>`;
  return html`<!doctype html>
<html lang="en">
${head(title)}
<body hx-ext="sse">
<header class="top">
  <a class="brand" href="/board">colibri</a>
  <span class="viewer">signed in as ${context.viewerLabel}</span>
  <span id="live-state" class="badge" data-state="off">${liveUrl === null ? 'static' : 'connecting'}</span>
  <span class="spacer"></span>
  <form method="get" action="/board/search" role="search">
    <input type="search" name="q" value="${search}" placeholder="task or agent: id, id prefix, name" aria-label="search" size="32">
    <button type="submit">Find</button>
  </form>
  <form method="post" action="/board/settings">
    ${csrfField(context.csrf)}
    <label>refresh <select name="refresh" aria-label="fallback refresh">${REFRESH_CHOICES.map(
      (s) =>
        html`<option value="${s}"${s === context.refreshSeconds ? html` selected` : ''}>${refreshLabel(s)}</option>`,
    )}</select></label>
    <button type="submit">Set</button>
  </form>
  <form method="post" action="/board/logout">${csrfField(context.csrf)}<button type="submit">Sign out</button></form>
</header>
${main}
</body>
</html>`;
}

/** The sign-in page: the only page shown without a session, and it shows no data. */
export function loginPage(message: string | null): SafeHtml {
  return html`<!doctype html>
<html lang="en">
${head('sign in')}
<body>
<main class="login">
<section>
  <h2>colibri board</h2>
  <p class="muted">Sign in with the operator token (<span class="mono">$COLIBRI_HOME/operator.token</span>) or an agent's token (it sees only its tenant). <span class="mono">colibri board</span> signs you in for you.</p>
  ${message === null ? '' : html`<p class="error" role="alert">${message}</p>`}
  <form method="post" action="/board/login">
    <label>token <input type="password" name="token" autocomplete="off" required autofocus></label>
    <button type="submit">Sign in</button>
  </form>
</section>
</main>
</body>
</html>`;
}

/** A page that only says something (an error, a refusal), with a way back. */
export function messagePage(context: PageContext | null, title: string, message: string): SafeHtml {
  const body = html`<section><h2>${title}</h2><p>${message}</p><p><a href="/board">back to the board</a></p></section>`;
  if (context === null) {
    return html`<!doctype html><html lang="en">${head(title)}<body><main>${body}</main></body></html>`;
  }
  return page(context, title, body, null);
}
