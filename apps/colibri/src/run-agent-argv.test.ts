import * as Flags from '@oclif/core/flags';
import { parse } from '@oclif/core/parser';
import { describe, expect, it } from 'vitest';
import { BaseCommand } from './base-command.js';
import RunAgent from './commands/run-agent.js';
import { parseRunAgentArgv, RUN_AGENT_DEFAULTS, RUN_AGENT_FLAGS } from './run-agent-argv.js';

/** The flags oclif parses `colibri run-agent` with (the base command adds --json). */
const OCLIF_FLAGS = { ...BaseCommand.baseFlags, ...RunAgent.flags, json: Flags.boolean() };

/** What oclif makes of `argv`, absent flags dropped (the light parser never sets them). */
async function oclif(argv: string[]): Promise<Record<string, unknown>> {
  const { flags } = await parse(argv, { flags: OCLIF_FLAGS, strict: true, args: {} });
  return Object.fromEntries(Object.entries(flags).filter(([, value]) => value !== undefined));
}

/** What the light parser makes of it, in the same shape (`json` as oclif has it: absent unless given). */
function light(argv: string[], env: Record<string, string> = {}): Record<string, unknown> | undefined {
  const parsed = parseRunAgentArgv(argv, env);
  if (parsed === undefined) return undefined;
  return { ...parsed.flags, ...(parsed.json ? { json: true } : {}) };
}

describe('the light run-agent parser', () => {
  it('knows every flag of the oclif command, each of the same kind and bound', async () => {
    const names = Object.keys(OCLIF_FLAGS).filter((name) => name !== 'json');
    expect(Object.keys(RUN_AGENT_FLAGS).sort()).toEqual(names.sort());
    for (const name of names) {
      // oclif turns an integer flag's value into a number; a string flag keeps the text.
      const parsed = await oclif([`--${name}`, '5']);
      const spec = RUN_AGENT_FLAGS[name];
      expect({ name, kind: typeof parsed[name] === 'number' ? 'integer' : 'string' }).toEqual({
        name,
        kind: spec?.kind,
      });
      if (spec?.kind === 'integer') {
        expect({
          name,
          min: (OCLIF_FLAGS[name as keyof typeof OCLIF_FLAGS] as { min?: number }).min,
        }).toEqual({
          name,
          min: spec.min,
        });
      }
    }
  });

  it("applies oclif's defaults", async () => {
    expect(light([])).toEqual(await oclif([]));
    expect(light([])).toMatchObject(RUN_AGENT_DEFAULTS);
  });

  it('reads what it accepts exactly as oclif does', async () => {
    const accepted = [
      ['--name', 'drainer', '--capabilities', 'linux,shell', '--slots', '2', '--drain-timeout', '600'],
      ['--name=a=b', '--tenant', 'acme', '--socket', '/run/colibri/colibri.sock', '--json'],
      ['--json', '--url', 'http://127.0.0.1:9190', '--token', 'tok', '--agent', 'abc', '--state-dir', 'st'],
      ['--identity-dir', 'id', '--handlers', '/opt/h', '--home', '/h', '--join-token-env', 'JOIN'],
      ['--handler-timeout=1', '--drain-timeout=0', '--slots=007'],
    ];
    for (const argv of accepted) {
      expect({ argv, flags: light(argv) }).toEqual({ argv, flags: await oclif(argv) });
    }
  });

  it('leaves to oclif whatever it would answer or explain differently', () => {
    const declined = [
      ['--help'],
      ['-h'],
      ['--version'],
      ['positional'],
      ['--'],
      ['--bogus', 'x'],
      ['--agent-id', 'abc'],
      ['--concurrency', '2'],
      ['--name'],
      ['--name', '--json'],
      ['--name='],
      ['--name', 'a', '--name', 'b'],
      ['--json', '--json'],
      ['--json=true'],
      ['--slots', '0'],
      ['--slots', '-1'],
      ['--slots', '1.5'],
      ['--slots', 'two'],
      ['--handler-timeout', '0'],
      ['--drain-timeout', '-1'],
      ['--socket', '/s', '--url', 'http://h:1'],
    ];
    for (const argv of declined) expect({ argv, parsed: light(argv) }).toEqual({ argv, parsed: undefined });
    expect(light(['--name', 'a'], { COLIBRI_CONTENT_TYPE: 'json' })).toBeUndefined();
  });
});
