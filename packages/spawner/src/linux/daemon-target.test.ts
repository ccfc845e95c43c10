import { describe, expect, it } from 'vitest';
import { daemonTarget } from './daemon-target.js';

describe('daemonTarget', () => {
  it('proxies to a socket path or the host:port of an http URL', () => {
    expect(daemonTarget({ socketPath: '/var/lib/colibri/colibri.sock' })).toEqual({
      socketPath: '/var/lib/colibri/colibri.sock',
    });
    expect(daemonTarget({ url: 'http://100.64.0.1:7878' })).toEqual({ host: '100.64.0.1', port: 7878 });
    expect(daemonTarget({ url: 'http://[fd7a::1]/' })).toEqual({ host: 'fd7a::1', port: 80 });
  });

  it('refuses what cannot be proxied byte for byte, with the reason', () => {
    for (const [daemon, reason] of [
      [{}, 'exactly one'],
      [{ socketPath: '/a', url: 'http://b' }, 'exactly one'],
      [{ socketPath: 'relative.sock' }, 'absolute'],
      [{ url: 'https://hive:7878' }, 'http://'],
      [{ url: 'http://user:pw@hive:7878' }, 'credentials'],
      [{ url: 'not a url' }, 'not a URL'],
    ] as const) {
      expect(() => daemonTarget(daemon)).toThrow(reason);
    }
  });
});
