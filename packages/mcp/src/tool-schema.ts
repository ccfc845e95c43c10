import type { StandardSchemaWithJSON } from '@modelcontextprotocol/server';
import { toJsonSchema, toStandardJsonSchema } from '@valibot/to-json-schema';
import type * as v from 'valibot';

type Target = 'draft-07' | 'draft-2020-12' | 'openapi-3.0';
const TARGETS: readonly string[] = ['draft-07', 'draft-2020-12', 'openapi-3.0'];

function target(requested: string): Target {
  if (!TARGETS.includes(requested)) throw new Error(`unsupported JSON Schema target ${requested}`);
  return requested as Target;
}

/**
 * A tool's input schema as the SDK takes it: the JSON Schema that `tools/list` advertises comes from
 * the valibot schema, but the SDK's own check lets everything through. The tool validates its
 * arguments itself (`parseRequest`), so bad input is answered with colibri's stable code and
 * message (`COLIBRI_INVALID_INPUT: submit_task: title: must not be empty`) as a tool error, never
 * with the SDK's generic wording. Checks JSON Schema cannot express (`v.check`) are left out of the
 * advertised schema and still enforced.
 */
export function toolInputSchema(schema: v.GenericSchema): StandardSchemaWithJSON {
  return {
    '~standard': {
      version: 1,
      vendor: 'colibri',
      // The SDK's request schema already insists on an object; everything else is the tool's to refuse.
      validate: (value: unknown) => ({ value }),
      jsonSchema: {
        input: (options: { target: string }) =>
          toJsonSchema(schema, { typeMode: 'input', target: target(options.target), errorMode: 'ignore' }),
        output: (options: { target: string }) =>
          toJsonSchema(schema, { typeMode: 'output', target: target(options.target), errorMode: 'ignore' }),
      },
    },
  } as unknown as StandardSchemaWithJSON;
}

/** A tool's output schema: the response shape of the wire contract, advertised and checked by the SDK. */
export function toolOutputSchema(schema: v.GenericSchema): StandardSchemaWithJSON {
  return toStandardJsonSchema(schema) as StandardSchemaWithJSON;
}
