import { isColibriError } from '@colibri/errors';
import { describe, expect, it } from 'vitest';
import { checkJailAddress, resolveBastilleDriverOptions } from './bastille-driver-options.js';

const base = { release: '14.3-RELEASE', address: () => '10.0.0.2' };

function codeOf(call: () => unknown): string | undefined {
  try {
    call();
  } catch (error) {
    return isColibriError(error) ? error.code : 'not a ColibriError';
  }
  return undefined;
}

describe('resolveBastilleDriverOptions', () => {
  it('fills in FreeBSD defaults', () => {
    const resolved = resolveBastilleDriverOptions(base);
    expect(resolved).toMatchObject({
      prefix: '/usr/local/bastille',
      release: '14.3-RELEASE',
      interface: null,
      agentUser: 'agent',
      agentUid: 1001,
      commands: { bastille: '/usr/local/bin/bastille', jexec: '/usr/sbin/jexec', sysctl: '/sbin/sysctl' },
    });
    expect(Object.isFrozen(resolved)).toBe(true);
  });

  it.each([
    ['a relative prefix', { prefix: 'bastille' }],
    ['an unnormalized prefix', { prefix: '/usr/local/../bastille' }],
    ['a release with a slash', { release: '../14.3-RELEASE' }],
    ['an option-like release', { release: '-y' }],
    ['no address function', { address: '10.0.0.2' }],
    ['a bad interface', { interface: 'em0; reboot' }],
    ['root as the agent', { agentUid: 0 }],
    ['a system uid', { agentUid: 25 }],
    ['a bad user name', { agentUser: 'Agent!' }],
    ['a relative command', { commands: { bastille: 'bastille' } }],
    ['a zero timeout', { startTimeoutMs: 0 }],
  ])('refuses %s with COLIBRI_INVALID_INPUT', (_what, override) => {
    expect(codeOf(() => resolveBastilleDriverOptions({ ...base, ...override } as never))).toBe(
      'COLIBRI_INVALID_INPUT',
    );
  });
});

describe('checkJailAddress', () => {
  it.each(['10.17.89.11', '10.17.89.11/24', 'fd00::11', 'fd00::11/64', 'inherit'])(
    'accepts %s',
    (address) => {
      expect(checkJailAddress(address, 'acme')).toBe(address);
    },
  );

  it.each(['', '-V', '10.0.0.256', '10.0.0.1 em0', 'host.example', undefined])('refuses %s', (address) => {
    expect(codeOf(() => checkJailAddress(address, 'acme'))).toBe('COLIBRI_INVALID_INPUT');
  });
});
