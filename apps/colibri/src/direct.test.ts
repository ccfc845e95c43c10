import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PJSON } from '@oclif/core/interfaces';
import { afterAll, describe, expect, it } from 'vitest';
import { COMMANDS } from './command-classes.js';
import { type DirectCommands, directApplies, unknownApplies } from './direct.js';

const packageRoot = fileURLToPath(new URL('..', import.meta.url));
const pjson = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as PJSON;
const commands = COMMANDS as unknown as DirectCommands;
const home = mkdtempSync(join(tmpdir(), 'colibri-direct-'));
const env = { HOME: home };
const applies = (argv: string[], extra: Record<string, string> = {}) =>
  directApplies(commands, argv, { ...env, ...extra }, pjson);

afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('directApplies', () => {
  it('takes a colibri command with its flags and arguments', () => {
    expect(applies(['list-tasks'])).toBe(true);
    expect(applies(['list-tasks', '--json', '--limit', 'x'])).toBe(true);
    expect(applies(['list-tasks', '--bogus'])).toBe(true);
    expect(applies(['show-task', 'ffffffff', '--json'])).toBe(true);
    expect(applies(['cancel-task', 'ffffffff', 'extra'])).toBe(true);
    for (const id of Object.keys(COMMANDS)) expect(applies([id, '--json'])).toBe(true);
  });

  it('leaves to oclif what its configuration or dispatch would answer otherwise', () => {
    expect(applies([])).toBe(false);
    expect(applies(['statuss'])).toBe(false);
    expect(applies(['help', 'list-tasks'])).toBe(false);
    expect(applies(['autocomplete'])).toBe(false);
    expect(applies(['--json', 'list-tasks'])).toBe(false);
    expect(applies(['list-tasks', '--help'])).toBe(false);
    expect(applies(['list-tasks', '-h'])).toBe(false);
    // normalizeArgv makes it the command "list-tasks:extra".
    expect(applies(['list-tasks', 'extra'])).toBe(false);
    expect(applies(['list-tasks'], { COLIBRI_NO_DIRECT: '1' })).toBe(false);
    expect(applies(['list-tasks'], { COLIBRI_DEBUG: '1' })).toBe(false);
    expect(applies(['list-tasks'], { DEBUG: '*' })).toBe(false);
  });

  it('leaves a user theme or user plugins to oclif', () => {
    const config = join(home, '.config', 'colibri');
    mkdirSync(config, { recursive: true });
    writeFileSync(join(config, 'theme.json'), '{}');
    expect(applies(['list-tasks'])).toBe(false);
    rmSync(join(config, 'theme.json'));
    expect(applies(['list-tasks'])).toBe(true);
    const data = join(home, 'xdg-data', 'colibri');
    mkdirSync(data, { recursive: true });
    writeFileSync(join(data, 'package.json'), '{}');
    expect(applies(['list-tasks'], { XDG_DATA_HOME: join(home, 'xdg-data') })).toBe(false);
    expect(applies(['list-tasks'], { COLIBRI_DATA_DIR: data })).toBe(false);
  });
});

describe('unknownApplies', () => {
  const known = { commandIDs: [...Object.keys(COMMANDS), 'help', 'autocomplete'], topics: ['autocomplete'] };
  const unknown = (argv: string[], extra: Record<string, string> = {}) =>
    unknownApplies(known, argv, { ...env, ...extra }, pjson);

  it('takes a word that is no command or topic, with flags after it', () => {
    expect(unknown(['statuss'])).toBe(true);
    expect(unknown(['statuss', '--json'])).toBe(true);
    expect(unknown(['statuss', '--limit=3', 'x'])).toBe(true);
  });

  it('leaves commands, topics, flags, help and a second word to oclif', () => {
    expect(unknown([])).toBe(false);
    expect(unknown(['status'])).toBe(false);
    expect(unknown(['help'])).toBe(false);
    expect(unknown(['autocomplete'])).toBe(false);
    expect(unknown(['autocomplete:script'])).toBe(false);
    expect(unknown(['--json'])).toBe(false);
    expect(unknown(['statuss', '--help'])).toBe(false);
    // normalizeArgv makes it "statuss:now".
    expect(unknown(['statuss', 'now'])).toBe(false);
    expect(unknown(['statuss'], { COLIBRI_NO_DIRECT: '1' })).toBe(false);
  });
});
