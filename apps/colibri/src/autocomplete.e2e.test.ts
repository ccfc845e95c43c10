// Shell completion as a user gets it: `colibri autocomplete` builds the cache, bash sources the
// line `colibri autocomplete script bash` prints, and bash's own completion function answers.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COLIBRI_BIN, cleanEnv, runColibri } from './testing/colibri-process.test-helper.js';

const cache = mkdtempSync(join(tmpdir(), 'colibri-complete-'));
const env = cleanEnv({ XDG_CACHE_HOME: cache });

beforeAll(async () => {
  const built = await runColibri(['autocomplete', 'bash'], env);
  expect(built.status, built.stderr).toBe(0);
});
afterAll(() => rmSync(cache, { recursive: true, force: true }));

/** What bash offers for `line` (the cursor at its end), through the sourced completion function. */
function complete(line: string): string[] {
  const words = line.split(' ');
  const script = [
    `eval "$(node ${COLIBRI_BIN} autocomplete script bash)"`,
    'complete -p colibri >/dev/null || { echo "no completion registered for colibri" >&2; exit 1; }',
    `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})`,
    `COMP_CWORD=${words.length - 1}`,
    `COMP_LINE='${line}'`,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash parameter expansion, not a template
    'COMP_POINT=${#COMP_LINE}',
    '_colibri_autocomplete',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash parameter expansion, not a template
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n');
  return execFileSync('bash', ['--norc', '--noprofile', '-c', script], { env, encoding: 'utf8' })
    .split('\n')
    .map((word) => word.trim())
    .filter((word) => word !== '');
}

describe('colibri autocomplete', () => {
  it('`colibri list-` completes to exactly the list commands', () => {
    const commands = readdirSync(new URL('./commands', import.meta.url))
      .filter((file) => /^list-.*\.ts$/.test(file) && !file.endsWith('.test.ts'))
      .map((file) => file.replace(/\.ts$/, ''))
      .sort();
    expect(commands.length).toBeGreaterThan(1);
    expect(complete('colibri list-').sort()).toEqual(commands);
  });

  it("completes a command's flags", () => {
    expect(complete('colibri list-agents --st')).toEqual(['--status']);
  });

  it('writes setup scripts for bash and zsh', () => {
    expect(existsSync(join(cache, 'colibri/autocomplete/bash_setup'))).toBe(true);
    expect(existsSync(join(cache, 'colibri/autocomplete/zsh_setup'))).toBe(true);
  });
});
