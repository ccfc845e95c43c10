import type { AgentView } from '../board-data.js';
import { html, type SafeHtml } from '../html.js';
import { ago, shortId, skills, status, tags, taskLink, tenant } from './format.js';

/** An agent: its facts, what it holds now, what it finished lately. */
export function agentView(view: AgentView, now: Date): SafeHtml {
  const { agent } = view;
  const list = (tasks: AgentView['active'], empty: string) =>
    tasks.length === 0
      ? html`<p class="muted">${empty}</p>`
      : html`<table><thead><tr><th>task</th><th>status</th><th>tenant</th><th>attempt</th><th>last change</th></tr></thead><tbody>${tasks.map(
          (t) =>
            html`<tr><td>${taskLink(t.id, t.title)} ${shortId(t.id)}</td><td>${status(t.status)}</td><td>${tenant(t.tenant)}</td><td>${t.attempt}</td><td>${ago(t.updatedAt, now)}</td></tr>`,
        )}</tbody></table>`;
  return html`<section id="agent">
<h2>${agent.name}</h2>
<dl class="facts">
<dt>id</dt><dd class="mono">${agent.id}</dd>
<dt>status</dt><dd>${status(agent.status)}</dd>
<dt>tenant</dt><dd>${tenant(agent.tenant)}</dd>
<dt>tags</dt><dd>${tags(agent.capabilities)}</dd>
<dt>skills</dt><dd>${skills(agent.skills)}</dd>
${agent.declinedSkills.length === 0 ? '' : html`<dt>declines</dt><dd>${agent.declinedSkills.map((d, i) => html`${i > 0 ? html`<br>` : ''}<span class="tag">${d.name}</span> <span class="muted">${d.reason}</span>`)}</dd>`}
<dt>load</dt><dd>${agent.activeTasks}/${agent.slots} slots in use (assigned or running)</dd>
<dt>host</dt><dd>${agent.host ?? html`<span class="muted">-</span>`}</dd>
<dt>last heartbeat</dt><dd>${ago(agent.lastHeartbeatAt, now)}</dd>
<dt>registered</dt><dd>${ago(agent.registeredAt, now)}</dd>
<dt>spawned by</dt><dd>${agent.spawnedBy === null ? html`<span class="muted">the operator</span>` : html`<a href="/board/agents/${encodeURIComponent(agent.spawnedBy)}">${shortId(agent.spawnedBy)}</a> (depth ${agent.spawnDepth})`}</dd>
${agent.retiredAt === null ? '' : html`<dt>retired</dt><dd>${ago(agent.retiredAt, now)}</dd>`}
</dl>
</section>
<section id="active"><h2>Holding now <span class="count">${view.active.length}</span></h2>${list(view.active, 'Nothing assigned.')}</section>
<section id="finished"><h2>Finished lately</h2>${list(view.recent, 'Nothing finished yet.')}</section>`;
}
