import * as v from 'valibot';

/** A JSON Schema fragment (what `@valibot/to-json-schema` produces and OpenAPI 3.1 embeds). */
export type JsonSchemaFragment = Readonly<Record<string, unknown>>;

const hints = new WeakMap<object, JsonSchemaFragment>();

/**
 * Tells the OpenAPI generator what `schema` accepts when valibot cannot say it itself: the fields
 * validated by one of protocol's parsers (`viaParser`: any value in, a transform out) would
 * otherwise show as "anything". Returns `schema` unchanged.
 */
export function documented<S extends v.GenericSchema>(schema: S, json: JsonSchemaFragment): S {
  const hint = Object.freeze({ ...json });
  const pipe = (schema as { pipe?: readonly unknown[] }).pipe;
  if (pipe === undefined) {
    hints.set(schema, hint);
    return schema;
  }
  // The converter walks a pipe's items and consults overrides for its first schema, not for the
  // pipe itself: rebuild the pipe around a head schema of its own that carries the hint.
  const head = v.unknown();
  hints.set(head, hint);
  return v.pipe(head, ...(pipe.slice(1) as [v.GenericPipeAction])) as unknown as S;
}

/** The JSON Schema registered for `schema` with {@link documented}, if any. */
export function hintFor(schema: object): JsonSchemaFragment | undefined {
  return hints.get(schema);
}
