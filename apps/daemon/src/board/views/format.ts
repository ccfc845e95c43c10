import type { ParkedReason } from '@colibri/api';
import { html, type SafeHtml, segment } from '../html.js';

/** Payloads, results and errors are cut to this many characters on the board. */
export const SHOWN_CHARS = 4000;

/** "3s", "4m 10s", "2h 5m", "3d 4h": how long ago `iso` was, from `now`. */
export function age(iso: string, now: Date): string {
  const seconds = Math.max(0, Math.floor((now.getTime() - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

/** A time as "4m 10s ago", with the exact time on hover. */
export function ago(iso: string | null, now: Date): SafeHtml {
  if (iso === null) return html`<span class="muted">never</span>`;
  return html`<time datetime="${iso}" title="${iso}">${age(iso, now)} ago</time>`;
}

/** `text`, cut to `max` characters with a note saying how much was left out. */
export function truncate(text: string, max = SHOWN_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

/** A JSON value pretty-printed and cut, for a <pre>. */
export function jsonText(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  return truncate(JSON.stringify(value, null, 2) ?? String(value));
}

/** Required or advertised tags as chips; `never` ones are flagged as never advertised by any agent. */
/** The skills an agent offers, each named with its description as a tooltip; a dash for none. */
export function skills(list: readonly { name: string; description: string }[]): SafeHtml {
  if (list.length === 0) return html`<span class="muted">-</span>`;
  return html`${list.map(
    (skill, i) =>
      html`${i > 0 ? ' ' : ''}<span class="tag skill" title="${skill.description}">${skill.name}</span>`,
  )}`;
}

export function tags(list: readonly string[], never: readonly string[] = []): SafeHtml {
  if (list.length === 0) return html`<span class="muted">any agent</span>`;
  return html`${list.map((tag, i) => {
    const space = i > 0 ? ' ' : '';
    return never.includes(tag)
      ? html`${space}<span class="tag never" title="no agent has ever advertised this tag">${tag} ⚠</span>`
      : html`${space}<span class="tag">${tag}</span>`;
  })}`;
}

/** A status word, coloured by its meaning. */
export function status(value: string): SafeHtml {
  return html`<span class="status status-${value.replace(/[^a-z-]/g, '')}">${value}</span>`;
}

/** A short id (first 8 characters), the full one on hover. */
export function shortId(id: string): SafeHtml {
  return html`<span class="id" title="${id}">${id.slice(0, 8)}</span>`;
}

export function taskLink(id: string, title: string): SafeHtml {
  return html`<a href="/board/tasks/${segment(id)}">${title}</a>`;
}

export function agentLink(id: string, name: string | undefined): SafeHtml {
  return html`<a href="/board/agents/${segment(id)}">${name ?? id.slice(0, 8)}</a>`;
}

/** The tenant, or "shared" for operator-owned lanes and tasks. */
export function tenant(value: string | null): SafeHtml {
  return value === null ? html`<span class="muted">shared</span>` : html`${value}`;
}

/**
 * Why a task is parked, inline: "closest: domedog lacks gpu; hermes lacks gpu, cuda", what no
 * eligible online agent offers, and each never-advertised tag with its nearest spelling.
 */
export function parkedReason(reason: ParkedReason | undefined): SafeHtml {
  if (reason === undefined) return html`<span class="muted">no longer parked</span>`;
  const parts: SafeHtml[] = [];
  if (reason.candidates.length === 0) {
    parts.push(html`<strong>no eligible agent is online</strong>`);
  } else {
    const closest = reason.candidates
      .slice(0, 3)
      .map((c) =>
        c.missing.length === 0
          ? html`${agentLink(c.agentId, c.agentName)} has every tag`
          : html`${agentLink(c.agentId, c.agentName)} lacks ${c.missing.join(', ')}`,
      );
    const more = reason.candidates.length > 3 ? html` (+${reason.candidates.length - 3} more)` : null;
    parts.push(html`closest: ${closest.map((c, i) => html`${i > 0 ? '; ' : ''}${c}`)}${more}`);
  }
  if (reason.unmatchedTags.length > 0) {
    parts.push(html`nobody online offers <strong>${reason.unmatchedTags.join(', ')}</strong>`);
  }
  for (const entry of reason.neverAdvertised) {
    parts.push(
      html`<strong>${entry.tag}</strong> was never advertised${entry.suggestion === null ? '' : html` (did you mean ${entry.suggestion}?)`}`,
    );
  }
  return html`<span class="reason">${parts.map((p, i) => html`${i > 0 ? ' · ' : ''}${p}`)}</span>`;
}
