import { isColibriError } from '@colibri/errors';
import { describe, expect, it } from 'vitest';
import { type IdentityContext, identityOptionsFrom } from './identity-flags.js';

const context: IdentityContext = {
  env: {},
  cwd: '/work',
  homedir: '/home/agent',
  colibriHome: '/var/lib/colibri',
};

describe('identityOptionsFrom', () => {
  it('no flags: no directory, an empty flag layer, defaults from the context', () => {
    const options = identityOptionsFrom({}, context);
    expect(options.directory).toBeNull();
    expect(Object.values(options.flags).filter((value) => value !== undefined)).toEqual([]);
    expect(options.defaults).toEqual({ home: '/home/agent', colibriHome: '/var/lib/colibri' });
    expect(options.cwd).toBe('/work');
  });

  it('--identity-dir wins over COLIBRI_IDENTITY_DIR; both resolve against cwd', () => {
    const env = { COLIBRI_IDENTITY_DIR: 'from-env' };
    expect(identityOptionsFrom({}, { ...context, env }).directory).toBe('/work/from-env');
    expect(identityOptionsFrom({ 'identity-dir': '/etc/id' }, { ...context, env }).directory).toBe('/etc/id');
    expect(identityOptionsFrom({ 'identity-dir': '  ' }, { ...context, env }).directory).toBe(
      '/work/from-env',
    );
  });

  it('maps flags onto identity fields; --socket/--url become the daemon', () => {
    const options = identityOptionsFrom(
      { name: 'a', tenant: 'acme', capabilities: 'linux, gpu', handlers: './h', socket: 'run/c.sock' },
      context,
    );
    expect(options.flags).toMatchObject({
      name: 'a',
      tenant: 'acme',
      capabilities: ['linux', 'gpu'],
      handlersDir: './h',
      daemon: { socketPath: 'run/c.sock' },
    });
    expect(identityOptionsFrom({ url: 'http://100.64.0.1:9190' }, context).flags.daemon).toEqual({
      url: 'http://100.64.0.1:9190',
    });
  });

  it('COLIBRI_URL / COLIBRI_SOCKET set the daemon when neither --url nor --socket is given', () => {
    const env = { COLIBRI_URL: 'http://100.64.0.1:9190' };
    expect(identityOptionsFrom({}, { ...context, env }).flags.daemon).toEqual({
      url: 'http://100.64.0.1:9190',
    });
    expect(
      identityOptionsFrom({}, { ...context, env: { COLIBRI_SOCKET: '/run/c.sock' } }).flags.daemon,
    ).toEqual({
      socketPath: '/run/c.sock',
    });
    expect(identityOptionsFrom({ socket: '/flag.sock' }, { ...context, env }).flags.daemon).toEqual({
      socketPath: '/flag.sock',
    });
  });

  it('a bad --capabilities tag fails here, naming the flag', () => {
    try {
      identityOptionsFrom({ capabilities: 'linux,GPU' }, context);
      expect.unreachable();
    } catch (error) {
      expect(isColibriError(error, 'COLIBRI_INVALID_CAPABILITY')).toBe(true);
      expect((error as Error).message).toContain('--capabilities[1]: "GPU" is not a valid capability tag');
    }
  });
});
