import type { ParkedReason } from '@colibri/api';
import { formatTable } from './format-table.js';
import { displayId, type IdDisplay, SHORT_IDS } from './id-display.js';

const list = (tags: readonly string[]): string => tags.join(', ');

/** A required tag nobody has ever advertised, as a warning line (with the near spelling when there is one). */
export function formatNeverAdvertised(entry: ParkedReason['neverAdvertised'][number]): string {
  const suggestion = entry.suggestion === null ? '' : `; did you mean "${entry.suggestion}"?`;
  return `no agent has ever advertised "${entry.tag}"${suggestion}`;
}

/** Why a task is parked, in one clause: which tags no eligible online agent offers, or that none is online. */
export function briefParkedReason(reason: ParkedReason): string {
  if (reason.skill !== undefined && reason.skill.offeredBy.length === 0) return skillClause(reason.skill);
  if (reason.unmatchedTags.length > 0) return `no eligible online agent offers ${list(reason.unmatchedTags)}`;
  if (reason.candidates.length === 0) return 'no eligible agent is online';
  // A candidate lacking nothing holds as many tasks as it has slots: the task waits its turn.
  if (reason.candidates.some((c) => c.missing.length === 0))
    return 'every capable agent has all its slots in use';
  return 'no single eligible online agent has all the required tags';
}

/** "no online agent offers skill X; osa has the handler but lacks gpu; … (did you mean …?)" */
function skillClause(skill: NonNullable<ParkedReason['skill']>): string {
  const parts = [`no online agent offers skill ${skill.name}`];
  for (const declined of skill.declinedBy) {
    parts.push(
      `${declined.agentName} has the handler but ${declined.missing.length > 0 ? `lacks ${list(declined.missing)}` : 'cannot run it'}`,
    );
  }
  if (skill.neverOffered !== null) {
    const near =
      skill.neverOffered.suggestion === null ? '' : ` (did you mean "${skill.neverOffered.suggestion}"?)`;
    parts.push(`no agent has ever offered a skill named ${skill.name}${near}`);
  }
  return parts.join('; ');
}

/**
 * The full explanation for `colibri show-task` on a parked task: the brief reason, each eligible
 * online agent with the tags it lacks (closest first, as the daemon orders them), and a warning
 * for every tag no agent has ever advertised.
 */
export function formatParkedReason(reason: ParkedReason, display: IdDisplay = SHORT_IDS): string {
  const busy = reason.candidates.some((c) => c.missing.length === 0);
  const when = busy ? 'when one frees a slot (tenants take turns)' : 'as soon as a capable agent appears';
  const lines = [`parked: ${briefParkedReason(reason)}; it is assigned ${when}`];
  if (reason.candidates.length > 0) {
    lines.push('', 'closest online agents:');
    const table = formatTable(
      ['AGENT', 'ID', 'LACKS'],
      reason.candidates.map((candidate) => [
        candidate.agentName,
        displayId(candidate.agentId, display),
        list(candidate.missing) || '- (busy)',
      ]),
    );
    lines.push(...table.split('\n').map((line) => `  ${line}`));
  }
  if (reason.neverAdvertised.length > 0) {
    lines.push('', ...reason.neverAdvertised.map((entry) => `warning: ${formatNeverAdvertised(entry)}`));
  }
  return lines.join('\n');
}
