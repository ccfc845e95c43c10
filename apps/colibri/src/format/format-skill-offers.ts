import type { SkillOffer } from '@colibri/mother';
import { formatTable } from './format-table.js';

/** Which skills an agent with these tags offers, and why not the others: one table. */
export function formatSkillOffers(handlersDir: string, offers: readonly SkillOffer[]): string {
  if (offers.length === 0) return `no skill manifests in ${handlersDir} (<name>.skill.yaml beside a handler)`;
  return formatTable(
    ['SKILL', 'OFFERED', 'NEEDS', 'WHY NOT'],
    offers.map((offer) => [
      offer.skill.name,
      offer.offered ? 'yes' : 'no',
      offer.skill.requiredCapabilities.join(', ') || '-',
      offer.reason ?? '-',
    ]),
  );
}
