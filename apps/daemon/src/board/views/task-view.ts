import { type TaskStatus, TERMINAL_TASK_STATUSES } from '@colibri/protocol';
import type { TaskView } from '../board-data.js';
import { html, type SafeHtml, segment } from '../html.js';
import { agentLink, ago, jsonText, parkedReason, shortId, status, tags, tenant, truncate } from './format.js';
import { csrfField } from './layout.js';

/** What the board lets the viewer do to a task. */
export interface TaskActions {
  readonly csrf: string;
  /** The operator may cancel an unfinished task and retry a failed, cancelled or expired one. */
  readonly cancel: boolean;
  /** Show the payload (the operator only). */
  readonly payload: boolean;
}

/** Whether a task in `status` can still be cancelled. */
export function cancellable(value: TaskStatus): boolean {
  return !TERMINAL_TASK_STATUSES.has(value);
}

/** Whether a task in `status` can be put back in line (`retry-task`): finished, but not done. */
export function retryable(value: TaskStatus): boolean {
  return TERMINAL_TASK_STATUSES.has(value) && value !== 'done';
}

/** A task: its facts, why it is parked, its attempts with their events, its result or error. */
export function taskView(view: TaskView, actions: TaskActions, now: Date): SafeHtml {
  const { task } = view;
  const agent = task.assignedAgentId;
  const attempts = view.attempts.map(
    ({
      attempt,
      events,
    }) => html`<h3>${attempt === 0 ? 'before the first assignment' : `attempt ${attempt}`}</h3>
<table><thead><tr><th>when</th><th>from → to</th><th>agent</th><th>reason</th></tr></thead><tbody>${events.map(
      (e) =>
        html`<tr><td>${ago(e.at, now)}</td><td>${e.from ?? '-'} → ${status(e.to)}</td><td>${e.agentId === null ? html`<span class="muted">-</span>` : agentLink(e.agentId, view.agentNames.get(e.agentId))}</td><td>${e.reason === null ? '' : truncate(e.reason, 500)}</td></tr>`,
    )}</tbody></table>`,
  );
  const cancel =
    actions.cancel && cancellable(task.status)
      ? html`<form method="post" action="/board/tasks/${segment(task.id)}/cancel">${csrfField(actions.csrf)}<button class="danger" type="submit">Cancel task…</button></form>`
      : actions.cancel && retryable(task.status)
        ? html`<form method="post" action="/board/tasks/${segment(task.id)}/retry">${csrfField(actions.csrf)}<button type="submit">Retry task…</button></form>`
        : '';
  return html`<section id="task">
<h2>${task.title}</h2>
<dl class="facts">
<dt>id</dt><dd class="mono">${task.id}</dd>
<dt>status</dt><dd>${status(task.status)}</dd>
<dt>tenant</dt><dd>${tenant(task.tenant)}</dd>
<dt>needs</dt><dd>${tags(
    task.requiredCapabilities,
    view.parked?.neverAdvertised.map((n) => n.tag),
  )}</dd>
<dt>agent</dt><dd>${agent === null ? html`<span class="muted">none</span>` : html`${agentLink(agent, view.agentNames.get(agent))} ${shortId(agent)}`}</dd>
<dt>attempt</dt><dd>${task.attempt} of ${task.maxAttempts}</dd>
${task.retryBackoffMs === null ? '' : html`<dt>retries</dt><dd>after a failed attempt, waiting ${task.retryBackoffMs} ms doubled each time</dd>`}
${task.notBefore === null || task.status !== 'parked' ? '' : html`<dt>not before</dt><dd><time datetime="${task.notBefore}">${task.notBefore}</time> (retry backoff)</dd>`}
<dt>priority</dt><dd>${task.priority}</dd>
<dt>taken in</dt><dd>${ago(task.createdAt, now)}</dd>
<dt>last change</dt><dd>${ago(task.updatedAt, now)}</dd>
${task.leaseExpiresAt === null ? '' : html`<dt>lease until</dt><dd><time datetime="${task.leaseExpiresAt}">${task.leaseExpiresAt}</time></dd>`}
${task.expiresAt === null ? '' : html`<dt>${task.status === 'expired' ? 'expired at' : 'expires'}</dt><dd><time datetime="${task.expiresAt}">${task.expiresAt}</time></dd>`}
${view.parked === undefined ? '' : html`<dt>why parked</dt><dd>${parkedReason(view.parked)}</dd>`}
</dl>
${cancel}
</section>
${task.error === null ? '' : html`<section id="error"><h2>Error</h2><pre>${truncate(task.error)}</pre></section>`}
${view.stderrTail === null || view.stderrTail === '' ? '' : html`<section id="stderr"><h2>Handler stderr <span class="count">the last 64 KiB, secrets scrubbed by the agent</span></h2><pre>${view.stderrTail}</pre></section>`}
${task.result === null ? '' : html`<section id="result"><h2>Result</h2><pre>${jsonText(task.result)}</pre></section>`}
${actions.payload ? html`<section id="payload"><h2>Payload <span class="count">operator only</span></h2><pre>${jsonText(task.payload)}</pre></section>` : ''}
<section id="history"><h2>History <span class="count">${view.events.length} events</span></h2>${attempts}</section>`;
}

/** The confirmation step of a cancel: a second POST, with the CSRF token, does it. */
export function confirmCancelView(view: TaskView, csrf: string): SafeHtml {
  const { task } = view;
  return html`<section id="confirm">
<h2>Cancel this task?</h2>
<p>${task.title} <span class="mono">${task.id}</span> is ${status(task.status)}. Cancelling ends it for good${task.status === 'running' || task.status === 'assigned' ? '; its agent is told at once and stops the handler' : ''}.</p>
<form method="post" action="/board/tasks/${segment(task.id)}/cancel">${csrfField(csrf)}<input type="hidden" name="confirm" value="yes"><button class="danger" type="submit">Yes, cancel it</button> <a href="/board/tasks/${segment(task.id)}">No, go back</a></form>
</section>`;
}

/** The confirmation step of a retry: a second POST, with the CSRF token, puts it back in line. */
export function confirmRetryView(view: TaskView, csrf: string): SafeHtml {
  const { task } = view;
  return html`<section id="confirm">
<h2>Retry this task?</h2>
<p>${task.title} <span class="mono">${task.id}</span> is ${status(task.status)} after attempt ${task.attempt}. Retrying puts it back in line for one more attempt (attempt ${task.attempt + 1}); its history stays.</p>
<form method="post" action="/board/tasks/${segment(task.id)}/retry">${csrfField(csrf)}<input type="hidden" name="confirm" value="yes"><button type="submit">Yes, retry it</button> <a href="/board/tasks/${segment(task.id)}">No, go back</a></form>
</section>`;
}
