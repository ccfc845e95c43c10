import { describe, expect, it } from 'vitest';
import { handlerEnvironment } from './handler-environment.js';

const base = {
  inherited: {
    PATH: '/usr/bin:/bin',
    HOME: '/home/agent',
    LANG: 'C.UTF-8',
    AWS_SECRET_ACCESS_KEY: 'leak-me',
    COLIBRI_HOME: '/var/lib/colibri',
    COLIBRI_TOKEN: 'operator-token',
  },
  variables: { OPENROUTER_API_KEY: 'sk-1', LANG: 'de_DE.UTF-8' },
  daemon: { socketPath: '/var/lib/colibri/colibri.sock' },
  agentToken: 'agent-token',
  agentId: 'agent-1',
  tenant: 'acme',
  taskId: 'task-1',
  attempt: 2,
};

describe('handlerEnvironment', () => {
  it('PATH/HOME/LANG from the agent, the .env, and the COLIBRI_* facts of the run: nothing else', () => {
    expect(handlerEnvironment(base)).toEqual({
      PATH: '/usr/bin:/bin',
      HOME: '/home/agent',
      LANG: 'de_DE.UTF-8',
      OPENROUTER_API_KEY: 'sk-1',
      COLIBRI_SOCKET: '/var/lib/colibri/colibri.sock',
      COLIBRI_TOKEN: 'agent-token',
      COLIBRI_AGENT_ID: 'agent-1',
      COLIBRI_TENANT: 'acme',
      COLIBRI_TASK_ID: 'task-1',
      COLIBRI_ATTEMPT: '2',
    });
  });

  it('a .env cannot pose as another task, daemon or token; a URL daemon and a shared agent', () => {
    const env = handlerEnvironment({
      ...base,
      variables: { COLIBRI_TASK_ID: 'forged', COLIBRI_SOCKET: '/tmp/evil.sock', COLIBRI_JOIN_TOKEN: 'spent' },
      daemon: { url: 'http://100.64.0.1:9190' },
      tenant: null,
      inherited: {},
    });
    expect(env).toEqual({
      COLIBRI_URL: 'http://100.64.0.1:9190',
      COLIBRI_TOKEN: 'agent-token',
      COLIBRI_AGENT_ID: 'agent-1',
      COLIBRI_TASK_ID: 'task-1',
      COLIBRI_ATTEMPT: '2',
    });
  });
});
