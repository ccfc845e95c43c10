import type { ParkedReason } from '@colibri/api';
import { formatDuration } from '@colibri/protocol';
import { skillParkedSentence } from '../skills/skill-catalogue.js';

/** The store keeps at most this much of an event's reason. */
const MAX_REASON = 1000;

/** Why nobody took the task, in the scheduler's explain-parked terms, as one clause. */
export function parkedClause(reason: ParkedReason): string {
  if (reason.skill !== undefined && reason.skill.offeredBy.length === 0)
    return skillParkedSentence(reason.skill);
  if (reason.candidates.length === 0) return 'no eligible agent was online';
  if (reason.unmatchedTags.length > 0)
    return `missing ${reason.unmatchedTags.join(', ')} on every online agent`;
  const closest = reason.candidates[0]!;
  return `no single online agent had every required tag (closest: ${closest.agentName}, lacking ${closest.missing.join(', ')})`;
}

/**
 * The reason an expired task's event records: "no capable agent within 30m; missing gpu on every
 * online agent". `waitedMs` is the task's expire-after (deadline − intake).
 */
export function expiryReason(waitedMs: number, reason: ParkedReason): string {
  const text = `no capable agent within ${formatDuration(Math.max(0, waitedMs))}; ${parkedClause(reason)}`;
  return text.length <= MAX_REASON ? text : `${text.slice(0, MAX_REASON - 1)}…`;
}
