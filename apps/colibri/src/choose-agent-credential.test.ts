import { describe, expect, it } from 'vitest';
import { chooseAgentCredential } from './choose-agent-credential.js';

const base = { variables: {}, joinTokenEnv: 'COLIBRI_JOIN_TOKEN', token: undefined, agentId: undefined };

describe('chooseAgentCredential', () => {
  it('the join token from the .env, removed from what handlers see', () => {
    expect(
      chooseAgentCredential({
        ...base,
        variables: { COLIBRI_JOIN_TOKEN: ' j-1 ', OPENROUTER_API_KEY: 'k' },
        token: 'operator-token',
      }),
    ).toEqual({ credential: { kind: 'join', token: 'j-1' }, variables: { OPENROUTER_API_KEY: 'k' } });
  });

  it('another variable name with --join-token-env', () => {
    expect(
      chooseAgentCredential({
        ...base,
        joinTokenEnv: 'HIVE_JOIN',
        variables: { HIVE_JOIN: 'j', COLIBRI_JOIN_TOKEN: 'x' },
      }),
    ).toEqual({ credential: { kind: 'join', token: 'j' }, variables: { COLIBRI_JOIN_TOKEN: 'x' } });
  });

  it('without a join token: the CLI token as the operator, or nothing (a stored token must do)', () => {
    expect(chooseAgentCredential({ ...base, token: 'op' }).credential).toEqual({
      kind: 'operator',
      token: 'op',
    });
    expect(
      chooseAgentCredential({ ...base, variables: { COLIBRI_JOIN_TOKEN: '' } }).credential,
    ).toBeUndefined();
  });

  it('--agent makes the CLI token an agent token, ahead of a join token', () => {
    expect(
      chooseAgentCredential({
        ...base,
        token: 'agent-token',
        agentId: 'a1',
        variables: { COLIBRI_JOIN_TOKEN: 'j' },
      }),
    ).toEqual({ credential: { kind: 'agent', token: 'agent-token', agentId: 'a1' }, variables: {} });
    expect(() => chooseAgentCredential({ ...base, agentId: 'a1' })).toThrow(
      /--agent needs that agent's token/,
    );
  });

  it('refuses a --join-token-env that is not a variable name', () => {
    expect(() => chooseAgentCredential({ ...base, joinTokenEnv: 'A-B' })).toThrow(/is not a variable name/);
  });
});
