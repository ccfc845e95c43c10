import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ColibriError } from '@colibri/errors';
import { SKILL_NAME_PATTERN, type Skill, skillSchema } from '@colibri/protocol';
import * as v from 'valibot';
import { parseDocument } from 'yaml';
import { resolveHandler } from '../runtime/resolve-handler.js';

/** A manifest sits beside its handler: `<handlersDir>/<name>.skill.yaml` (or `.skill.yml`, `.skill.json`). */
export const SKILL_MANIFEST_SUFFIXES = Object.freeze(['.skill.yaml', '.skill.yml', '.skill.json'] as const);

// A manifest is a few lines plus perhaps a payload schema; refuse anything that is clearly not one.
const MAX_MANIFEST_BYTES = 256 * 1024;

/** One manifest as read from disk, validated, with whether its handler is there to run it. */
export interface SkillManifest {
  /** The manifest file, absolute. */
  readonly file: string;
  readonly skill: Skill;
  /** Null when `<handlersDir>/<name>` exists and is executable; else why it cannot run. */
  readonly handlerProblem: string | null;
}

/** The file's fields: the skill minus its name, which the file name gives. */
const manifestFileSchema = v.strictObject({
  name: v.optional(v.string()),
  ...v.omit(skillSchema, ['name']).entries,
});

/** The fields a manifest file may have. */
const MANIFEST_FIELDS: readonly string[] = Object.keys(manifestFileSchema.entries);

function invalid(file: string, message: string, field?: string): ColibriError {
  return new ColibriError(
    'COLIBRI_INVALID_INPUT',
    `${file}: ${message}`,
    field === undefined ? { file } : { file, field },
  );
}

function parseText(text: string, file: string): unknown {
  if (file.endsWith('.json')) {
    try {
      return JSON.parse(text);
    } catch (error) {
      throw invalid(file, `not valid JSON: ${(error as Error).message}`);
    }
  }
  const document = parseDocument(text, { uniqueKeys: true });
  const [first] = document.errors;
  if (first !== undefined) {
    const at = first.linePos?.[0];
    throw invalid(
      file,
      `${at === undefined ? '' : `line ${at.line}: `}not valid YAML: ${first.message.split('\n')[0]}`,
    );
  }
  return document.toJS();
}

/** Parses one manifest file's text for skill `name` (from the file name). Exported for tests. */
export function parseSkillManifest(text: string, file: string, name: string): Skill {
  const raw = parseText(text, file);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw invalid(file, 'a skill manifest must be a mapping with description and requiredCapabilities');
  }
  // Unknown keys first: a misspelt field would otherwise surface as the real one "missing".
  const unknown = Object.keys(raw).find((key) => !MANIFEST_FIELDS.includes(key));
  if (unknown !== undefined) {
    throw invalid(
      file,
      `unknown field ${JSON.stringify(unknown)}: a manifest has ${MANIFEST_FIELDS.join(', ')}`,
      unknown,
    );
  }
  const result = v.safeParse(manifestFileSchema, raw);
  if (!result.success) {
    const issue = result.issues[0];
    const field = issue.path?.map((p) => String(p.key)).join('.') ?? '';
    throw invalid(file, field === '' ? issue.message : `${field} ${issue.message}`, field || undefined);
  }
  const { name: declared, ...rest } = result.output;
  if (declared !== undefined && declared !== name) {
    throw invalid(
      file,
      `name "${declared}" differs from the file's name "${name}": rename one so they agree`,
      'name',
    );
  }
  return Object.freeze({ name, ...rest });
}

/**
 * Reads every skill manifest in `handlersDir`, sorted by name. A bad manifest is an error naming
 * the file and the field (fix it rather than run with a skill silently missing). A manifest whose
 * handler is missing or not executable is returned with `handlerProblem` set: it is never offered.
 * A handler without a manifest is not a skill: it keeps working for tasks that name it.
 */
export async function readSkillManifests(handlersDir: string): Promise<readonly SkillManifest[]> {
  let entries: string[];
  try {
    entries = await readdir(handlersDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new ColibriError(
      'COLIBRI_INVALID_INPUT',
      `cannot read the handlers directory ${handlersDir}: ${(error as Error).message}`,
      { handlersDir },
      { cause: error },
    );
  }
  const manifests: SkillManifest[] = [];
  const seen = new Map<string, string>();
  for (const entry of entries.sort()) {
    const suffix = SKILL_MANIFEST_SUFFIXES.find((s) => entry.endsWith(s));
    if (suffix === undefined) continue;
    const name = entry.slice(0, -suffix.length);
    const file = join(handlersDir, entry);
    if (!SKILL_NAME_PATTERN.test(name)) {
      throw invalid(file, `"${name}" is not a skill name (the handler's file name: a-z, 0-9, ".", "_", "-")`);
    }
    const other = seen.get(name);
    if (other !== undefined)
      throw invalid(file, `a second manifest for skill "${name}" (also ${other}): keep one`);
    seen.set(name, file);
    const text = await readFile(file, 'utf8');
    if (Buffer.byteLength(text) > MAX_MANIFEST_BYTES) {
      throw invalid(file, `larger than ${MAX_MANIFEST_BYTES / 1024} KiB: is this really a manifest?`);
    }
    const skill = parseSkillManifest(text, file, name);
    let handlerProblem: string | null = null;
    try {
      await resolveHandler(handlersDir, name);
    } catch (error) {
      handlerProblem = (error as Error).message;
    }
    manifests.push(Object.freeze({ file, skill, handlerProblem }));
  }
  return Object.freeze(manifests);
}

/** Whether a skill is offered, and why not when it is not. */
export interface SkillOffer {
  readonly skill: Skill;
  readonly file: string;
  readonly offered: boolean;
  /** Required tags this agent does not advertise (empty when offered or when the handler is the problem). */
  readonly missing: readonly string[];
  /** Null when offered; else one sentence. */
  readonly reason: string | null;
}

/**
 * Decides which skills an agent offers: exactly those whose handler can run and whose required
 * tags are all among the agent's own confirmed tags (what it advertises after the probe). A host
 * without `image-render` does not offer `tmux-screenshot`, even with the file there.
 */
export function offerSkills(
  manifests: readonly SkillManifest[],
  tags: readonly string[],
): readonly SkillOffer[] {
  const have = new Set(tags);
  return Object.freeze(
    manifests.map((manifest): SkillOffer => {
      const missing = manifest.skill.requiredCapabilities.filter((tag) => !have.has(tag));
      if (manifest.handlerProblem !== null) {
        return {
          skill: manifest.skill,
          file: manifest.file,
          offered: false,
          missing,
          reason: manifest.handlerProblem,
        };
      }
      if (missing.length > 0) {
        return {
          skill: manifest.skill,
          file: manifest.file,
          offered: false,
          missing,
          reason: `this agent does not advertise ${missing.join(', ')}`,
        };
      }
      return { skill: manifest.skill, file: manifest.file, offered: true, missing: [], reason: null };
    }),
  );
}
