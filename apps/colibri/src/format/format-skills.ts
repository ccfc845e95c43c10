import type { ApiSkillListing } from '@colibri/api';
import { formatTable } from './format-table.js';

/** The skills table: one row per manifest variant, then who declines each skill and why. */
export function formatSkills(skills: readonly ApiSkillListing[]): string {
  if (skills.length === 0) {
    return 'no skills offered: put <name>.skill.yaml beside a handler (see colibri list-skills --help)';
  }
  const rows = skills.flatMap((skill) =>
    skill.variants.map((variant) => [
      skill.conflict ? `${skill.name}@${variant.digest} (CONFLICT)` : skill.name,
      variant.requiredCapabilities.join(', ') || '-',
      variant.agents
        .map((agent) => (agent.status === 'offline' ? `${agent.name} (offline)` : agent.name))
        .join(', '),
      variant.payloadSchema === null ? '-' : 'yes',
      variant.description,
    ]),
  );
  const lines = [formatTable(['SKILL', 'NEEDS', 'OFFERED BY', 'SCHEMA', 'DESCRIPTION'], rows)];
  const declined = skills.flatMap((skill) =>
    skill.declinedBy.map((d) => `  ${skill.name}: not offered by ${d.name}: ${d.reason}`),
  );
  if (declined.length > 0) lines.push('', 'declined:', ...declined);
  const unoffered = skills.filter((skill) => skill.variants.length === 0).map((skill) => skill.name);
  if (unoffered.length > 0) lines.push('', `no agent offers: ${unoffered.join(', ')}`);
  return lines.join('\n');
}
