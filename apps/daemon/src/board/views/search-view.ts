import { SEARCH_SCAN, type SearchResult } from '../board-data.js';
import { html, type SafeHtml } from '../html.js';
import { agentLink, ago, shortId, status, tags, taskLink, tenant } from './format.js';

/** What a search found, tasks and agents. */
export function searchView(result: SearchResult, now: Date): SafeHtml {
  const tasks =
    result.tasks.length === 0
      ? html`<p class="muted">No task matches.</p>`
      : html`<table><thead><tr><th>task</th><th>status</th><th>tenant</th><th>needs</th><th>last change</th></tr></thead><tbody>${result.tasks.map(
          (t) =>
            html`<tr><td>${taskLink(t.id, t.title)} ${shortId(t.id)}</td><td>${status(t.status)}</td><td>${tenant(t.tenant)}</td><td>${tags(t.requiredCapabilities)}</td><td>${ago(t.updatedAt, now)}</td></tr>`,
        )}</tbody></table>`;
  const agents =
    result.agents.length === 0
      ? html`<p class="muted">No agent matches.</p>`
      : html`<table><thead><tr><th>agent</th><th>status</th><th>tenant</th><th>tags</th></tr></thead><tbody>${result.agents.map(
          (a) =>
            html`<tr><td>${agentLink(a.id, a.name)} ${shortId(a.id)}</td><td>${status(a.status)}</td><td>${tenant(a.tenant)}</td><td>${tags(a.capabilities)}</td></tr>`,
        )}</tbody></table>`;
  return html`<section id="search-tasks"><h2>Tasks matching “${result.query}”${result.truncated ? html` <span class="count">(searched the first ${SEARCH_SCAN} tasks)</span>` : ''}</h2>${tasks}</section>
<section id="search-agents"><h2>Agents matching “${result.query}”</h2>${agents}</section>`;
}
