import { ColibriError } from '@colibri/errors';
import * as v from 'valibot';
import type { IdentityField, IdentityLayer } from './agent-identity.js';
import { findUnknownKey, type IdentityLayerValues, identityLayerSchema } from './identity-layer-schema.js';

/** Where a layer's values came from, for error messages and relative paths. */
export interface LayerSourceInfo {
  readonly layer: IdentityLayer;
  /** The file, for a file layer. */
  readonly file?: string;
  /** The directory relative paths are resolved against. */
  readonly baseDir: string;
  /** How to name a field in messages for this source: `--handlers` for a flag, the key for a file. */
  readonly label?: (field: string) => string;
}

function where(source: LayerSourceInfo): string {
  return source.file ?? 'flags';
}

/**
 * Validates one layer's raw values (from a file or the flags). Throws `COLIBRI_IDENTITY_INVALID`
 * naming the file (or "flags") and every bad field with what is wrong; details carry `file`,
 * `layer`, `field` (the first) and `fields` (all).
 */
export function validateIdentityLayer(
  raw: Record<string, unknown>,
  source: LayerSourceInfo,
): IdentityLayerValues {
  const label = source.label ?? ((field: string) => field);
  const unknown = findUnknownKey(raw);
  if (unknown !== undefined) {
    const hint = unknown.suggestion === undefined ? '' : ` (did you mean ${unknown.suggestion}?)`;
    throw new ColibriError(
      'COLIBRI_IDENTITY_INVALID',
      `${where(source)}: unknown key ${JSON.stringify(unknown.field)}${hint}; allowed here: ${unknown.allowed.join(', ')}`,
      {
        layer: source.layer,
        ...(source.file === undefined ? {} : { file: source.file }),
        field: unknown.field,
        fields: [unknown.field],
      },
    );
  }
  // Absent flags arrive as undefined: they set nothing.
  const present = Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== undefined));
  const result = v.safeParse(identityLayerSchema({ baseDir: source.baseDir }), present);
  if (result.success) return result.output as IdentityLayerValues;
  const problems = result.issues.map((issue) => {
    const field = v.getDotPath(issue) ?? '';
    // The protocol's list parsers already name the list (`capabilities[1]: ...`).
    const leaf = field.split('.').at(-1) ?? '';
    const named =
      leaf !== '' && (issue.message.startsWith(`${leaf}[`) || issue.message.startsWith(`${leaf} must`));
    const message = named ? issue.message : `${label(field)}: ${issue.message}`;
    return { field, message };
  });
  const fields = [...new Set(problems.map((problem) => problem.field))];
  throw new ColibriError(
    'COLIBRI_IDENTITY_INVALID',
    `${where(source)}: ${problems.map((problem) => problem.message).join('; ')}`,
    {
      layer: source.layer,
      ...(source.file === undefined ? {} : { file: source.file }),
      field: fields[0] as IdentityField | string,
      fields,
    },
  );
}
