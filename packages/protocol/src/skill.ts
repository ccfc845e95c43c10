import { createHash } from 'node:crypto';
import * as v from 'valibot';
import { capabilityTagSchema } from './capability-tag.js';

/** A skill's name: the name of its handler file (`<handlersDir>/<name>`), so the same alphabet. */
export const SKILL_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** The longest one-line description a skill may carry. */
export const MAX_SKILL_DESCRIPTION_LENGTH = 200;

const skillName = v.pipe(
  v.string('must be a string'),
  v.regex(
    SKILL_NAME_PATTERN,
    'must be 1-64 characters of a-z, 0-9, ".", "_" and "-", starting with a letter or digit',
  ),
);

/**
 * A skill as an agent offers it and the daemon stores it: a handler with a manifest of what it needs.
 * `payloadSchema` is a JSON Schema object (checked by the daemon when the agent registers).
 */
export const skillSchema = v.strictObject({
  name: skillName,
  description: v.pipe(
    v.string('must be a string'),
    v.minLength(1, 'must not be empty'),
    v.maxLength(MAX_SKILL_DESCRIPTION_LENGTH, `must be at most ${MAX_SKILL_DESCRIPTION_LENGTH} characters`),
    v.regex(/^[^\n\r]*$/, 'must be one line'),
  ),
  requiredCapabilities: v.pipe(
    v.array(capabilityTagSchema, 'must be a list of capability tags'),
    v.check((tags) => new Set(tags).size === tags.length, 'must not repeat a tag'),
  ),
  payloadSchema: v.optional(v.nullable(v.record(v.string(), v.unknown(), 'must be a JSON Schema object'))),
  timeoutSeconds: v.optional(
    v.nullable(
      v.pipe(
        v.number('must be a number'),
        v.integer('must be an integer'),
        v.minValue(1),
        v.maxValue(86_400),
      ),
    ),
  ),
});

/** A validated skill. */
export type Skill = v.InferOutput<typeof skillSchema>;

/** Canonical JSON: object keys sorted, so two equal manifests give one digest whatever their key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * A skill's identity beyond its name: 12 hex characters of the SHA-256 of what routing and
 * validation depend on (its required tags, as a set, and its payload schema). Two agents offering
 * `tmux-screenshot` with the same digest offer the same skill; different digests are a conflict
 * the daemon reports instead of mixing. The description and timeout do not change the digest.
 */
export function skillDigest(skill: {
  readonly requiredCapabilities: readonly string[];
  readonly payloadSchema?: Readonly<Record<string, unknown>> | null | undefined;
}): string {
  const identity = canonical({
    requiredCapabilities: [...skill.requiredCapabilities].sort(),
    payloadSchema: skill.payloadSchema ?? null,
  });
  return createHash('sha256').update(identity).digest('hex').slice(0, 12);
}

/**
 * The routing tags that stand for "offers skill `name`" (and, with `digest`, "offers exactly this
 * manifest of it"). They contain `:`, which no capability tag may, so an agent can never claim a
 * skill by declaring a tag: only the skills it registers produce them.
 */
export function skillTag(name: string, digest?: string): string {
  return digest === undefined ? `skill:${name}` : `skill:${name}@${digest}`;
}

/** True for the routing tags {@link skillTag} makes (never a capability tag anyone declared). */
export function isSkillTag(tag: string): boolean {
  return tag.startsWith('skill:');
}
