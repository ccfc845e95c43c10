import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { ColibriError } from '@colibri/errors';
import { DEFAULT_SPAWN_POLICY, parseSpawnPolicy, type SpawnPolicy } from '@colibri/spawn-policy';
import { parseDocument } from 'yaml';

/**
 * Reads the spawn policy file once at start: `.json` as JSON, anything else as YAML (a superset
 * of JSON). No file = {@link DEFAULT_SPAWN_POLICY}: every mother agent is refused. Every problem
 * is `COLIBRI_INVALID_INPUT` naming the file (and the field): colibrid refuses to start rather
 * than run with a policy other than the one the operator wrote.
 */
export async function loadSpawnPolicy(file: string | undefined): Promise<SpawnPolicy> {
  if (file === undefined) return DEFAULT_SPAWN_POLICY;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new ColibriError(
      'COLIBRI_INVALID_INPUT',
      `--spawn-policy ${file}: cannot read it (${code ?? (error as Error).message})${code === 'ENOENT' ? ': no such file' : ''}`,
      { file },
      { cause: error },
    );
  }
  let data: unknown;
  if (extname(file).toLowerCase() === '.json') {
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw new ColibriError(
        'COLIBRI_INVALID_INPUT',
        `--spawn-policy ${file}: not valid JSON (${(error as Error).message})`,
        { file },
      );
    }
  } else {
    const document = parseDocument(text, { prettyErrors: false });
    const [problem] = document.errors;
    if (problem !== undefined) {
      throw new ColibriError(
        'COLIBRI_INVALID_INPUT',
        `--spawn-policy ${file}: not valid YAML (${problem.message.split('\n')[0]})`,
        { file },
      );
    }
    data = document.toJS();
  }
  return parseSpawnPolicy(data, file);
}
