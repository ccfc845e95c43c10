import type { ApiSkillListing, DeclinedSkill } from '@colibri/api';
import { ColibriError } from '@colibri/errors';
import { type Skill, skillDigest, skillTag } from '@colibri/protocol';
import type { AgentRecord, AgentSkills, StoredSkill, TaskRecord } from '@colibri/store';
import { Ajv, type ValidateFunction } from 'ajv';
import { suggestTag } from '../explain/suggest-tag.js';

// One JSON Schema validator for every skill's payload schema. Strict: a manifest whose schema has
// an unknown keyword (`propertes`) is refused at registration instead of silently accepting all.
const ajv = new Ajv({ strict: true, allErrors: true });
const compiled = new Map<string, ValidateFunction>();

function validatorFor(skill: StoredSkill): ValidateFunction | null {
  if (skill.payloadSchema === null) return null;
  let validate = compiled.get(skill.digest);
  if (validate === undefined) {
    validate = ajv.compile(skill.payloadSchema);
    compiled.set(skill.digest, validate);
  }
  return validate;
}

/**
 * An agent's skills as the store keeps them: each offered manifest with the digest the daemon
 * computes (never one an agent claims), its payload schema compiled once to prove it is a JSON
 * Schema. Throws `COLIBRI_INVALID_INPUT` naming `skills[i].payloadSchema` and what is wrong.
 */
export function prepareAgentSkills(
  skills: readonly Skill[] | undefined,
  declined: readonly DeclinedSkill[] | undefined,
): AgentSkills {
  const prepared = (skills ?? []).map((skill, index): StoredSkill => {
    const stored: StoredSkill = {
      name: skill.name,
      description: skill.description,
      requiredCapabilities: skill.requiredCapabilities,
      payloadSchema: skill.payloadSchema ?? null,
      timeoutSeconds: skill.timeoutSeconds ?? null,
      digest: skillDigest(skill),
    };
    try {
      validatorFor(stored);
    } catch (error) {
      throw new ColibriError(
        'COLIBRI_INVALID_INPUT',
        `request body: skills[${index}].payloadSchema (skill ${skill.name}) is not a valid JSON Schema: ${(error as Error).message}`,
        { field: `skills.${index}.payloadSchema` },
      );
    }
    return stored;
  });
  return { skills: prepared, declinedSkills: declined ?? [] };
}

/** The routing tags that stand for an agent's skills: `skill:<name>` and `skill:<name>@<digest>` each. */
export function skillRoutingTags(agent: Pick<AgentRecord, 'skills'>): string[] {
  return agent.skills.flatMap((skill) => [skillTag(skill.name), skillTag(skill.name, skill.digest)]);
}

/** The routing tag a task's skill adds to its requirements, if it asks for one. */
export function taskSkillTag(task: Pick<TaskRecord, 'skill'>): string | null {
  if (task.skill === null) return null;
  return task.skill.digest === null
    ? skillTag(task.skill.name)
    : skillTag(task.skill.name, task.skill.digest);
}

/** What an intake by skill resolves to. */
export interface ResolvedSkill {
  readonly name: string;
  /** The manifest's digest, or null when no agent has offered the skill yet (the task parks). */
  readonly digest: string | null;
  /** The manifest's required tags (empty when unknown). */
  readonly requiredCapabilities: readonly string[];
  readonly timeoutSeconds: number | null;
}

/**
 * Resolves `name` or `name@digest` against the skills known agents offer (offline ones too: a
 * lane that is down still defines its skill). One manifest: that one. Several that disagree and
 * no digest given: `COLIBRI_SKILL_CONFLICT` naming each variant and its agents, never a silent mix.
 * None: the task parks until an agent offering the skill joins.
 */
export function resolveSkill(reference: string, agents: readonly AgentRecord[]): ResolvedSkill {
  const [name, wanted] = reference.split('@') as [string, string | undefined];
  const variants = new Map<string, { skill: StoredSkill; agents: string[] }>();
  for (const agent of agents) {
    if (agent.retiredAt !== null) continue;
    for (const skill of agent.skills) {
      if (skill.name !== name) continue;
      const variant = variants.get(skill.digest) ?? { skill, agents: [] };
      variant.agents.push(agent.name);
      variants.set(skill.digest, variant);
    }
  }
  if (wanted !== undefined) {
    const variant = variants.get(wanted);
    if (variant === undefined) {
      const known = [...variants.keys()];
      throw new ColibriError(
        'COLIBRI_INVALID_INPUT',
        `request body: skill: no agent offers ${name} with digest ${wanted}${known.length === 0 ? '' : `; offered digests: ${known.join(', ')}`}`,
        { field: 'skill' },
      );
    }
    return resolved(variant.skill);
  }
  if (variants.size === 0) return { name, digest: null, requiredCapabilities: [], timeoutSeconds: null };
  if (variants.size > 1) {
    const described = [...variants.values()]
      .map(
        ({ skill, agents: names }) =>
          `${name}@${skill.digest} needs [${skill.requiredCapabilities.join(', ')}] (${names.join(', ')})`,
      )
      .join('; ');
    throw new ColibriError(
      'COLIBRI_SKILL_CONFLICT',
      `agents offer skill ${name} with ${variants.size} different manifests: ${described}; name one as skill "${name}@<digest>", or make the manifests agree`,
      { skill: name, digests: [...variants.keys()] },
    );
  }
  return resolved([...variants.values()][0]!.skill);
}

function resolved(skill: StoredSkill): ResolvedSkill {
  return {
    name: skill.name,
    digest: skill.digest,
    requiredCapabilities: skill.requiredCapabilities,
    timeoutSeconds: skill.timeoutSeconds,
  };
}

/**
 * Checks a payload against the resolved skill's payload schema (as one of the agents offering it
 * declared it). Throws `COLIBRI_INVALID_INPUT` naming the path of every bad field; nothing is stored.
 */
export function validateSkillPayload(
  skill: ResolvedSkill,
  agents: readonly AgentRecord[],
  payload: unknown,
): void {
  if (skill.digest === null) return;
  const manifest = agents.flatMap((agent) => agent.skills).find((s) => s.digest === skill.digest);
  if (manifest === undefined) return;
  const validate = validatorFor(manifest);
  if (validate === null || validate(payload ?? null)) return;
  const problems = (validate.errors ?? []).map((error) => {
    const path = `payload${error.instancePath.replaceAll('/', '.')}`;
    return `${path} ${error.message ?? 'is invalid'}`;
  });
  throw new ColibriError(
    'COLIBRI_INVALID_INPUT',
    `request body: the payload does not match skill ${skill.name}'s payload schema: ${problems.join('; ')}`,
    { field: 'payload', skill: skill.name, problems },
  );
}

/** Every skill known in `agents`, for `GET /v1/skills` and the parked reason. */
export function listSkills(agents: readonly AgentRecord[]): ApiSkillListing[] {
  const byName = new Map<
    string,
    {
      variants: Map<string, ApiSkillListing['variants'][number]>;
      declined: ApiSkillListing['declinedBy'][number][];
    }
  >();
  const entry = (name: string) => {
    let found = byName.get(name);
    if (found === undefined) {
      found = { variants: new Map(), declined: [] };
      byName.set(name, found);
    }
    return found;
  };
  for (const agent of agents) {
    if (agent.retiredAt !== null) continue;
    for (const skill of agent.skills) {
      const { variants } = entry(skill.name);
      const variant = variants.get(skill.digest) ?? {
        digest: skill.digest,
        description: skill.description,
        requiredCapabilities: skill.requiredCapabilities,
        payloadSchema: skill.payloadSchema,
        timeoutSeconds: skill.timeoutSeconds,
        agents: [],
      };
      variants.set(skill.digest, {
        ...variant,
        agents: [...variant.agents, { id: agent.id, name: agent.name, status: agent.status }],
      });
    }
    for (const declined of agent.declinedSkills) {
      entry(declined.name).declined.push({
        id: agent.id,
        name: agent.name,
        missing: declined.missing,
        reason: declined.reason,
      });
    }
  }
  return [...byName.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, { variants, declined }]) => ({
      name,
      variants: [...variants.values()],
      declinedBy: declined,
      conflict: variants.size > 1,
    }));
}

/** The skill part of a parked task's reason: who offers it online, who has it but lacks tags, a near name. */
export function explainSkill(
  task: Pick<TaskRecord, 'skill'>,
  agents: readonly AgentRecord[],
): NonNullable<import('@colibri/api').ParkedReason['skill']> | undefined {
  if (task.skill === null) return undefined;
  const { name, digest } = task.skill;
  const live = agents.filter((agent) => agent.retiredAt === null);
  const offeredBy = live
    .filter((agent) => agent.status !== 'offline')
    .filter((agent) => agent.skills.some((s) => s.name === name && (digest === null || s.digest === digest)))
    .map((agent) => agent.name);
  const declinedBy = live.flatMap((agent) =>
    agent.declinedSkills
      .filter((s) => s.name === name)
      .map((s) => ({ agentName: agent.name, missing: s.missing })),
  );
  const everKnown = live.some(
    (agent) => agent.skills.some((s) => s.name === name) || agent.declinedSkills.some((s) => s.name === name),
  );
  const names = new Set(
    live.flatMap((agent) => [...agent.skills, ...agent.declinedSkills].map((s) => s.name)),
  );
  return {
    name,
    offeredBy,
    declinedBy,
    neverOffered: everKnown ? null : { suggestion: suggestTag(name, names) },
  };
}

/** One sentence for a parked skill task: "no online agent offers skill X; osa has the handler but lacks gpu". */
export function skillParkedSentence(explained: NonNullable<ReturnType<typeof explainSkill>>): string {
  const parts = [
    explained.offeredBy.length === 0
      ? `no online agent offers skill ${explained.name}`
      : `skill ${explained.name} is offered by ${explained.offeredBy.join(', ')}`,
    ...explained.declinedBy.map(
      (d) =>
        `${d.agentName} has the handler but ${d.missing.length > 0 ? `lacks ${d.missing.join(', ')}` : 'cannot run it'}`,
    ),
  ];
  if (explained.neverOffered !== null) {
    parts.push(
      `no agent has ever offered a skill named ${explained.name}${explained.neverOffered.suggestion === null ? '' : ` (did you mean ${explained.neverOffered.suggestion}?)`}`,
    );
  }
  return parts.join('; ');
}
