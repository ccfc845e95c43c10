import { isColibriError } from '@colibri/errors';
import { describe, expect, it } from 'vitest';
import { agentDaemonArgv, checkBastilleLaunch, mentionsVersion } from './agent-launch.js';

const launch = {
  agentName: 'acme-agent',
  tenant: 'acme',
  capabilities: null,
  daemon: { url: 'http://10.0.0.1:9190' },
};

function messageOf(call: () => unknown): string {
  try {
    call();
  } catch (error) {
    expect(isColibriError(error, 'COLIBRI_INVALID_INPUT')).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('checkBastilleLaunch', () => {
  it('takes a URL and an optional handlers directory', () => {
    expect(checkBastilleLaunch(launch, 'acme')).toEqual({ url: 'http://10.0.0.1:9190/', handlersDir: null });
    expect(checkBastilleLaunch({ ...launch, handlersDir: '/srv/handlers/' }, 'acme').handlersDir).toBe(
      '/srv/handlers',
    );
  });

  it('refuses a socket-only endpoint, explaining the bridge', () => {
    expect(
      messageOf(() => checkBastilleLaunch({ ...launch, daemon: { socketPath: '/var/run/c.sock' } }, 'acme')),
    ).toContain('colibri bridge');
  });

  it('refuses credentials in the URL, other schemes, and relative handlers', () => {
    expect(
      messageOf(() => checkBastilleLaunch({ ...launch, daemon: { url: 'http://u:p@10.0.0.1/' } }, 'acme')),
    ).toContain('credentials');
    expect(
      messageOf(() => checkBastilleLaunch({ ...launch, daemon: { url: 'file:///etc/passwd' } }, 'acme')),
    ).toContain('http');
    expect(messageOf(() => checkBastilleLaunch({ ...launch, handlersDir: 'handlers' }, 'acme'))).toContain(
      'absolute',
    );
  });
});

describe('agentDaemonArgv', () => {
  const base = {
    pidfile: '/home/agent/.colibri-agent.pid',
    log: '/home/agent/agent.log',
    entry: '/usr/local/bin/colibri',
    agentName: 'acme-agent',
    tenant: 'acme',
    url: 'http://10.0.0.1:9190/',
  };

  it('runs run-agent under daemon(8) with its pidfile and log', () => {
    expect(
      agentDaemonArgv({ ...base, capabilities: ['freebsd', 'gpu'], handlers: '/opt/colibri/handlers' }),
    ).toEqual([
      '/usr/sbin/daemon',
      '-f',
      '-p',
      '/home/agent/.colibri-agent.pid',
      '-o',
      '/home/agent/agent.log',
      '/usr/local/bin/colibri',
      'run-agent',
      '--name',
      'acme-agent',
      '--tenant',
      'acme',
      '--capabilities',
      'freebsd,gpu',
      '--url',
      'http://10.0.0.1:9190/',
      '--handlers',
      '/opt/colibri/handlers',
    ]);
  });

  it('leaves out --capabilities (probe) and --handlers when there are none', () => {
    const argv = agentDaemonArgv({ ...base, capabilities: [], handlers: null });
    expect(argv).not.toContain('--capabilities');
    expect(argv).not.toContain('--handlers');
  });
});

describe('mentionsVersion', () => {
  it('matches the version as a whole token only', () => {
    expect(mentionsVersion('colibri/0.1.0 freebsd-x64 node-v20.20.2', '0.1.0')).toBe(true);
    expect(mentionsVersion('colibri/0.1.0-fixture linux-x64', '0.1.0-fixture')).toBe(true);
    expect(mentionsVersion('colibri/0.1.0-fixture linux-x64', '0.1.0')).toBe(false);
    expect(mentionsVersion('colibri/10.1.0 linux-x64', '0.1.0')).toBe(false);
  });
});
