import type { Overview } from '../board-data.js';
import { html, type SafeHtml } from '../html.js';
import {
  age,
  agentLink,
  ago,
  parkedReason,
  shortId,
  skills,
  status,
  tags,
  taskLink,
  tenant,
  truncate,
} from './format.js';

function counts(overview: Overview): SafeHtml {
  const { agents, tasks } = overview.status;
  const cell = (n: number, label: string) => html`<div><b>${n}</b><span>${label}</span></div>`;
  return html`<div class="counts">
${cell(agents.idle + agents.active, 'agents online')}${cell(agents.offline, 'agents offline')}
${cell(tasks.parked, 'parked')}${cell(tasks.assigned, 'assigned')}${cell(tasks.running, 'running')}
${cell(tasks.done, 'done')}${cell(tasks.failed, 'failed')}${cell(tasks.cancelled, 'cancelled')}${cell(tasks.expired, 'expired')}
</div>`;
}

function waiting(overview: Overview, now: Date): SafeHtml {
  const cut =
    overview.parkedScanned < overview.status.tasks.parked
      ? html` <span class="muted">(grouped from the first ${overview.parkedScanned} of ${overview.status.tasks.parked})</span>`
      : '';
  const rows = overview.waiting.map(
    (group) => html`<tr>
<td>${tags(group.tags, group.neverAdvertised)}</td>
<td>${group.count}</td>
<td>${age(group.oldestCreatedAt, now)}</td>
<td>${group.capableOnline ? html`<span class="badge ok">capable agent online</span>` : html`<span class="badge bad">no capable agent online</span>`}</td>
</tr>`,
  );
  return html`<section id="waiting">
<h2>Waiting work <span class="count">by required tags</span>${cut}</h2>
${
  rows.length === 0
    ? html`<p class="muted">Nothing is waiting.</p>`
    : html`<table><thead><tr><th>required tags</th><th>waiting</th><th>oldest</th><th></th></tr></thead><tbody>${rows}</tbody></table>`
}
</section>`;
}

function parked(overview: Overview, now: Date): SafeHtml {
  const rows = overview.parked.map(
    ({ task, reason }) => html`<tr>
<td>${taskLink(task.id, task.title)}<br>${shortId(task.id)}</td>
<td>${tenant(task.tenant)}</td>
<td>${tags(
      task.requiredCapabilities,
      reason?.neverAdvertised.map((n) => n.tag),
    )}</td>
<td>${age(task.createdAt, now)}</td>
<td>${parkedReason(reason)}</td>
</tr>`,
  );
  const total = overview.status.tasks.parked;
  return html`<section id="parked">
<h2>Parked <span class="count">${total > rows.length ? `${rows.length} of ${total}, served next first` : String(total)}</span></h2>
${
  rows.length === 0
    ? html`<p class="muted">No task is parked.</p>`
    : html`<table><thead><tr><th>task</th><th>tenant</th><th>needs</th><th>waiting</th><th>why</th></tr></thead><tbody>${rows}</tbody></table>`
}
</section>`;
}

function agents(overview: Overview, now: Date): SafeHtml {
  const rows = overview.agents.map(
    (agent) => html`<tr>
<td>${agentLink(agent.id, agent.name)}</td>
<td>${tenant(agent.tenant)}</td>
<td>${tags(agent.capabilities)}</td>
<td>${status(agent.status)}</td>
<td title="tasks held / slots">${agent.activeTasks}/${agent.slots}</td>
<td>${ago(agent.lastHeartbeatAt, now)}</td>
<td>${agent.host ?? html`<span class="muted">-</span>`}</td>
<td>${skills(agent.skills)}</td>
</tr>`,
  );
  return html`<section id="agents">
<h2>Agents <span class="count">${rows.length}</span></h2>
${
  rows.length === 0
    ? html`<p class="muted">No agent has registered.</p>`
    : html`<table><thead><tr><th>name</th><th>tenant</th><th>tags</th><th>status</th><th>load</th><th>last heartbeat</th><th>host</th><th>skills</th></tr></thead><tbody>${rows}</tbody></table>`
}
</section>`;
}

function tenants(overview: Overview, now: Date): SafeHtml {
  if (overview.tenants === null) return html``;
  const rows = overview.tenants.map(
    ({ tenant: t, lastProvision }) => html`<tr>
<td>${t.tenant}</td>
<td>${status(t.status)}</td>
<td>${
      lastProvision === null
        ? html`<span class="muted">never provisioned</span>`
        : html`${status(lastProvision.outcome)} ${ago(lastProvision.at, now)}${lastProvision.reason === null || lastProvision.outcome !== 'failed' ? '' : html`<br><span class="reason">${truncate(lastProvision.reason, 300)}</span>`}`
    }</td>
<td class="mono">${t.jail}</td>
<td class="mono">${t.collection ?? html`<span class="muted">no bucket</span>`}</td>
</tr>`,
  );
  return html`<section id="tenants">
<h2>Tenants <span class="count">${rows.length}</span></h2>
${
  rows.length === 0
    ? html`<p class="muted">No tenant is registered.</p>`
    : html`<table><thead><tr><th>tenant</th><th>status</th><th>last provision</th><th>jail</th><th>collection</th></tr></thead><tbody>${rows}</tbody></table>`
}
</section>`;
}

function recent(overview: Overview, now: Date): SafeHtml {
  const rows = overview.recent.map(
    (task) => html`<tr>
<td>${taskLink(task.id, task.title)}</td>
<td>${status(task.status)}</td>
<td>${tenant(task.tenant)}</td>
<td>${task.assignedAgentId === null ? html`<span class="muted">-</span>` : agentLink(task.assignedAgentId, overview.agentNames.get(task.assignedAgentId))}</td>
<td>${ago(task.updatedAt, now)}</td>
<td>${task.error === null ? '' : html`<span class="reason">${truncate(task.error, 200)}</span>`}</td>
</tr>`,
  );
  return html`<section id="recent">
<h2>Recently finished <span class="count">done, failed, cancelled, expired</span></h2>
${
  rows.length === 0
    ? html`<p class="muted">Nothing has finished yet.</p>`
    : html`<table><thead><tr><th>task</th><th>outcome</th><th>tenant</th><th>agent</th><th>when</th><th>error</th></tr></thead><tbody>${rows}</tbody></table>`
}
</section>`;
}

/** The first screen: what waits and why, the agents, the tenants, what just finished. */
export function overviewView(overview: Overview, now: Date): SafeHtml {
  return html`${counts(overview)}
<div class="grid">${waiting(overview, now)}${parked(overview, now)}</div>
${agents(overview, now)}
<div class="grid">${tenants(overview, now)}${recent(overview, now)}</div>`;
}
