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
import { toJsonSchema } from '@valibot/to-json-schema';
import type * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import {
  agentSchema,
  joinTokenSchema,
  parkedReasonSchema,
  skillListingSchema,
  skillSchema,
  spawnReportSchema,
  statusSchema,
  taskEventSchema,
  taskSchema,
} from './output-schemas.js';

const json = (schema: v.GenericSchema) =>
  toJsonSchema(schema, { typeMode: 'output', errorMode: 'ignore' }) as Record<string, unknown>;

/** The JSON Schema without its descriptions: the shape alone. */
function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shapeOf);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== 'description')
      .map(([key, inner]) => [key, shapeOf(inner)]),
  );
}

describe('the tools’ output schemas', () => {
  const pairs: [string, v.GenericSchema, v.GenericSchema][] = [
    ['task', taskSchema, apiTaskSchema],
    ['task event', taskEventSchema, apiTaskEventSchema],
    ['parked reason', parkedReasonSchema, apiParkedReasonSchema],
    ['skill', skillSchema, apiSkillSchema],
    ['skill listing', skillListingSchema, listSkillsResponseSchema.entries.skills.item],
    ['agent', agentSchema, apiAgentSchema],
    ['status', statusSchema, statusResponseSchema],
    ['join token', joinTokenSchema, joinTokenResponseSchema],
    ['spawn report', spawnReportSchema, apiSpawnReportSchema],
  ];

  it.each(pairs)('%s has exactly the wire contract’s shape', (_name, mcp, api) => {
    expect(shapeOf(json(mcp))).toEqual(shapeOf(json(api)));
  });

  it('adds the descriptions a model reads, including the skill part of a parked reason', () => {
    const parked = json(parkedReasonSchema) as { properties: Record<string, { description?: string }> };
    expect(parked.properties.skill?.description).toMatch(/asked for by skill/);
    const task = json(taskSchema) as {
      properties: Record<string, { description?: string; format?: string }>;
    };
    expect(task.properties.attempt?.description).toMatch(/fencing token/);
    expect(task.properties.createdAt?.format).toBe('date-time');
    const listing = json(skillListingSchema) as {
      properties: { variants: { items: { properties: { digest: { description?: string } } } } };
    };
    expect(listing.properties.variants.items.properties.digest.description).toMatch(/name@digest/);
  });
});
