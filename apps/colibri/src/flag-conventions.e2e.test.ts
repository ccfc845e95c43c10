// One flag convention (issue 13 item 9): `--agent ID` wherever an agent id is taken, `--wait
// SECONDS` = the longest to wait, the agent name as the argument of register-agent like
// spawn-agent. The old spellings still work for one release, with a deprecation note.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanEnv, runColibri } from './testing/colibri-process.test-helper.js';

// No daemon at this home: every command below stops at "unreachable" (exit 5) after parsing.
const home = mkdtempSync(join(tmpdir(), 'colibri-flags-'));
const env = cleanEnv({ COLIBRI_HOME: home });
afterAll(() => rmSync(home, { recursive: true, force: true }));
/** oclif wraps warnings (` ›   ` at each line start): one line of words to match on. */
const flat = (text: string) => text.replace(/\s*›\s*/g, ' ').replace(/\s+/g, ' ');

describe('flag conventions', () => {
  it('help shows only the new spellings', async () => {
    const runAgent = await runColibri(['run-agent', '--help'], env);
    expect(runAgent.stdout).toMatch(/--agent=ID/);
    expect(runAgent.stdout).not.toContain('--agent-id');
    const register = await runColibri(['register-agent', '--help'], env);
    expect(register.stdout).toMatch(/register-agent \[NAME\]/);
    expect(register.stdout).not.toMatch(/--name/);
    const intake = await runColibri(['intake-task', '--help'], env);
    expect(intake.stdout).toMatch(/--wait=SECONDS/);
    expect(intake.stdout).not.toContain('--wait-timeout');
  });

  it('register-agent NAME parses; --name still does, with a deprecation note', async () => {
    const positional = await runColibri(['register-agent', 'lane-a', '--capabilities', 'linux'], env);
    expect(positional.status).toBe(5);
    expect(positional.stderr).not.toMatch(/deprecated/);
    const legacy = await runColibri(['register-agent', '--name', 'lane-a', '--capabilities', 'linux'], env);
    expect(legacy.status).toBe(5);
    expect(flat(legacy.stderr)).toMatch(/register-agent --name is deprecated/);
  });

  it('register-agent refuses no name and two names with a usage error', async () => {
    const none = await runColibri(['register-agent', '--capabilities', 'linux'], env);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('register-agent needs the agent name');
    const both = await runColibri(['register-agent', 'a', '--name', 'b', '--capabilities', 'linux'], env);
    expect(both.status).toBe(2);
    expect(both.stderr).toContain('give the agent name once');
  });

  it('intake-task --wait SECONDS parses; the old --wait [--wait-timeout S] still does, with a note', async () => {
    const args = ['intake-task', '--title', 't', '--capabilities', 'linux'];
    const current = await runColibri([...args, '--wait', '5'], env);
    expect(current.status).toBe(5);
    expect(current.stderr).not.toMatch(/deprecated/);
    for (const legacy of [['--wait', '--wait-timeout', '5'], ['--wait']]) {
      const result = await runColibri([...args, ...legacy], env);
      expect(result.status, legacy.join(' ')).toBe(5);
      expect(flat(result.stderr)).toMatch(/--wait without SECONDS and --wait-timeout are deprecated/);
    }
    const zero = await runColibri([...args, '--wait', '0'], env);
    expect(zero.status).toBe(2);
  });

  it('run-agent takes --agent; --agent-id is a deprecated alias', async () => {
    // Without a token for the agent, the credential check refuses at once (no daemon needed).
    for (const flag of ['--agent', '--agent-id']) {
      const result = await runColibri(['run-agent', '--name', 'x', flag, 'some-id', '--token', ''], env);
      expect(result.stderr).toMatch(/--agent needs that agent's token/);
      if (flag === '--agent-id') expect(flat(result.stderr)).toMatch(/"--agent-id" flag has been deprecated/);
      else expect(result.stderr).not.toMatch(/deprecated/);
    }
  });
});
