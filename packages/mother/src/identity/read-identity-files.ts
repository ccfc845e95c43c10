import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ColibriError } from '@colibri/errors';
import { parseDocument } from 'yaml';
import { FILE_LAYERS, type FileLayer } from './agent-identity.js';

/** The file extensions a layer file may have, and how each is read. */
export const LAYER_EXTENSIONS = Object.freeze(['yaml', 'yml', 'json'] as const);

// An identity file is a few lines; refuse anything that is clearly not one.
const MAX_LAYER_BYTES = 256 * 1024;

/** One layer file as read: which layer, which file, its top-level mapping (not yet validated). */
export interface IdentityFile {
  readonly layer: FileLayer;
  readonly file: string;
  readonly raw: Record<string, unknown>;
}

function invalid(message: string, details: Record<string, unknown>, cause?: unknown): ColibriError {
  return new ColibriError(
    'COLIBRI_IDENTITY_INVALID',
    message,
    details,
    cause === undefined ? undefined : { cause },
  );
}

async function statOrUndefined(file: string) {
  try {
    return await stat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw invalid(`cannot inspect ${file}: ${(error as Error).message}`, { file }, error);
  }
}

/** Parses a layer file's text: JSON for `.json`, YAML 1.2 otherwise; an empty YAML file is an empty layer. */
function parseLayerText(text: string, file: string, layer: FileLayer): Record<string, unknown> {
  let value: unknown;
  if (file.endsWith('.json')) {
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw invalid(`${file}: not valid JSON: ${(error as Error).message}`, { file, layer }, error);
    }
  } else {
    const document = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
    const [first] = document.errors;
    if (first !== undefined) {
      const at = first.linePos?.[0];
      throw invalid(
        `${file}${at === undefined ? '' : ` line ${at.line}`}: not valid YAML: ${first.message.split('\n')[0]}`,
        { file, layer, ...(at === undefined ? {} : { line: at.line }) },
      );
    }
    value = document.toJS();
    if (value === null || value === undefined) return {};
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(
      `${file}: the top level must be a mapping of identity fields (name: ..., tenant: ...), not ${Array.isArray(value) ? 'a list' : typeof value}`,
      { file, layer },
    );
  }
  return value as Record<string, unknown>;
}

/**
 * Reads the layer files of an identity directory, weakest first:
 * `<directory>/{image,host,tenant,agent}.{yaml,yml,json}`. A layer may be absent; two files for
 * one layer (`agent.yaml` and `agent.json`) are refused, since which one wins would be a guess.
 * Other files in the directory are ignored.
 */
export async function readIdentityFiles(directory: string): Promise<IdentityFile[]> {
  const info = await statOrUndefined(directory);
  if (info === undefined) {
    throw invalid(
      `identity directory ${directory} does not exist: create it with agent.yaml (and optionally image, host, tenant layers) or point --identity-dir elsewhere`,
      { directory },
    );
  }
  if (!info.isDirectory()) {
    throw invalid(`identity directory ${directory} is not a directory`, { directory });
  }
  const files: IdentityFile[] = [];
  for (const layer of FILE_LAYERS) {
    const candidates: string[] = [];
    for (const extension of LAYER_EXTENSIONS) {
      const file = join(directory, `${layer}.${extension}`);
      const stats = await statOrUndefined(file);
      if (stats === undefined) continue;
      if (!stats.isFile()) throw invalid(`${file} is not a regular file`, { file, layer });
      if (stats.size > MAX_LAYER_BYTES) {
        throw invalid(`${file} is ${stats.size} bytes; an identity file is at most 256 KiB`, { file, layer });
      }
      candidates.push(file);
    }
    if (candidates.length > 1) {
      throw invalid(
        `the ${layer} layer has ${candidates.length} files (${candidates.join(', ')}); keep exactly one`,
        { layer, files: candidates, file: candidates[0] },
      );
    }
    const [file] = candidates;
    if (file === undefined) continue;
    const text = await readFile(file, 'utf8');
    files.push({ layer, file, raw: parseLayerText(text, file, layer) });
  }
  return files;
}
