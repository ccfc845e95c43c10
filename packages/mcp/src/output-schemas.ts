import {
  apiAgentSchema,
  parkedReasonSchema as apiParkedReasonSchema,
  apiSkillSchema,
  spawnReportSchema as apiSpawnReportSchema,
  apiTaskEventSchema,
  apiTaskSchema,
  joinTokenResponseSchema,
  listSkillsResponseSchema,
  statusResponseSchema,
} from '@colibri/api';
import * as v from 'valibot';

// The tools' results are the wire contract's response schemas (`@colibri/api`), not a copy: one
// shape, the one colibrid answers and the OpenAPI document shows. This file only adds the words a
// model reads in `tools/list` (JSON Schema `description`), on the fields whose meaning the name does
// not carry.

type Descriptions<E extends v.ObjectEntries> = { readonly [K in keyof E]?: string };

/**
 * `schema` with a `description` on each named field. The fields keep their schemas (checks and
 * all): a description is one more pipe item, which the JSON Schema converter turns into
 * `description` and validation ignores. The static type stays the api's (a pipe's output is its
 * schema's output).
 */
function describeFields<E extends v.ObjectEntries>(
  schema: v.ObjectSchema<E, undefined>,
  descriptions: Descriptions<E>,
): v.ObjectSchema<E, undefined> {
  const entries: Record<string, v.GenericSchema> = { ...schema.entries };
  for (const [key, text] of Object.entries(descriptions)) {
    const field = schema.entries[key];
    if (field === undefined || text === undefined) throw new Error(`no field ${key} to describe`);
    entries[key] = v.pipe(field, v.description(text));
  }
  return v.object(entries) as unknown as v.ObjectSchema<E, undefined>;
}

/** `ApiTask`. */
export const taskSchema = describeFields(apiTaskSchema, {
  attempt: 'assignments so far; the fencing token an agent presents to move the task on',
  retryBackoffMs:
    'the retry policy: first backoff in ms, doubled per failed attempt; null = a failed handler ends the task',
  notBefore: 'while parked for a retry: not assigned before this time',
  expiresAt: 'when it expires (status expired) if still parked then; null: it waits as long as it takes',
});

/** `ApiTaskEvent`. */
export const taskEventSchema = apiTaskEventSchema;

/** `ParkedReason`, with its `skill` part (a task asked for by skill). */
export const parkedReasonSchema = describeFields(apiParkedReasonSchema, {
  candidates: 'online agents the task may reach and the required tags each lacks',
  unmatchedTags: 'required tags no online agent has',
  neverAdvertised: 'required tags no agent ever offered, with a near spelling when there is one',
  skill: 'for a task asked for by skill: who offers it, who declines it and what they lack',
});

/** `ApiSkill`. */
export const skillSchema = describeFields(apiSkillSchema, {
  digest: 'identifies the manifest; name@digest picks it when agents disagree',
});

const skillListing = listSkillsResponseSchema.entries.skills.item;
const variantSchema = describeFields(skillListing.entries.variants.item, {
  digest: 'identifies this manifest; submit_task skill "name@digest" picks it on a conflict',
  requiredCapabilities: "tags an agent needs to offer it (added to the task's requires)",
  payloadSchema: 'JSON Schema the task payload must match, or null',
  agents: 'agents offering this variant',
});

/** `ApiSkillListing`: one skill of `list_skills`. */
export const skillListingSchema = describeFields(
  v.object({ ...skillListing.entries, variants: v.array(variantSchema) }),
  {
    variants: 'one entry per distinct manifest',
    declinedBy: 'agents with the manifest that do not offer it, what they lack and why',
    conflict: 'true when the variants disagree: submit_task must then name one as name@digest',
  },
);

/** `ApiAgent`. */
export const agentSchema = describeFields(apiAgentSchema, {
  skills: 'skills this agent offers (its tags meet their manifests)',
  declinedSkills: 'skills it has a handler for but does not offer, and why',
});

/** `StatusResponse`. */
export const statusSchema = statusResponseSchema;

/** `JoinTokenResponse`. */
export const joinTokenSchema = describeFields(joinTokenResponseSchema, {
  token: 'one-time registration token; shown once',
});

/** `ApiSpawnReport`. */
export const spawnReportSchema = apiSpawnReportSchema;
