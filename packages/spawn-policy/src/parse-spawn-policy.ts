import { ColibriError } from '@colibri/errors';
import { parseCapabilities, parseTenantName, viaParser } from '@colibri/protocol';
import * as v from 'valibot';
import { DEFAULT_SPAWN_POLICY, type SpawnPolicy } from './spawn-policy.js';

const count = (field: string, max: number) =>
  v.pipe(
    v.number(`${field} must be a whole number`),
    v.integer(`${field} must be a whole number`),
    v.minValue(0, `${field} must be at least 0`),
    v.maxValue(max, `${field} must be at most ${max}`),
  );

/**
 * A spawn policy as an operator writes it (YAML or JSON, already parsed). Every field is optional
 * and defaults to {@link DEFAULT_SPAWN_POLICY}'s value, which forbids: leaving a field out can
 * only take a permission away. Unknown fields are refused, so a misspelt one (`maxChildern`) is
 * an error rather than a silent "no".
 */
export const spawnPolicySchema = v.strictObject(
  {
    maxChildren: v.optional(count('maxChildren', 1000), DEFAULT_SPAWN_POLICY.maxChildren),
    maxDepth: v.optional(count('maxDepth', 100), DEFAULT_SPAWN_POLICY.maxDepth),
    allowedTenants: v.optional(
      v.pipe(
        v.array(viaParser(parseTenantName), 'allowedTenants must be a list of tenant names'),
        v.check((names) => new Set(names).size === names.length, 'allowedTenants lists a tenant twice'),
      ),
      [],
    ),
    allowSharedLane: v.optional(
      v.boolean('allowSharedLane must be true or false'),
      DEFAULT_SPAWN_POLICY.allowSharedLane,
    ),
    allowedCapabilities: v.optional(
      viaParser((value) => parseCapabilities(value, 'allowedCapabilities')),
      [],
    ),
  },
  'a spawn policy must be a mapping with maxChildren, maxDepth, allowedTenants, allowSharedLane, allowedCapabilities',
);

function describeIssue(issue: v.BaseIssue<unknown>): string {
  const path = v.getDotPath(issue);
  if (issue.type === 'strict_object' && issue.expected === 'never') {
    return `${path}: unknown field (the fields are maxChildren, maxDepth, allowedTenants, allowSharedLane, allowedCapabilities)`;
  }
  return path ? `${path}: ${issue.message}` : issue.message;
}

/**
 * Validates a parsed policy document once, at the boundary, and returns it frozen. Throws
 * `COLIBRI_INVALID_INPUT` naming `source` (e.g. the file) and every offending field.
 */
export function parseSpawnPolicy(input: unknown, source: string): SpawnPolicy {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ColibriError(
      'COLIBRI_INVALID_INPUT',
      `spawn policy ${source}: must be a mapping with maxChildren, maxDepth, allowedTenants, allowSharedLane, allowedCapabilities (got ${Array.isArray(input) ? 'a list' : input === null ? 'nothing' : typeof input})`,
      { source, fields: [] },
    );
  }
  const result = v.safeParse(spawnPolicySchema, input);
  if (!result.success) {
    throw new ColibriError(
      'COLIBRI_INVALID_INPUT',
      `spawn policy ${source}: ${result.issues.map(describeIssue).join('; ')}`,
      { source, fields: result.issues.map((issue) => v.getDotPath(issue)) },
    );
  }
  const policy = result.output;
  return Object.freeze({
    maxChildren: policy.maxChildren,
    maxDepth: policy.maxDepth,
    allowedTenants: Object.freeze([...policy.allowedTenants]),
    allowSharedLane: policy.allowSharedLane,
    allowedCapabilities: Object.freeze([...policy.allowedCapabilities]),
  });
}
