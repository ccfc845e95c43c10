import { describe, expect, it } from 'vitest';
import { describeTarget, describeTokenSource } from './describe-config.js';
import { type ConfigSources, resolveConfig } from './resolve-config.js';

const sources = (overrides: Partial<ConfigSources> = {}): ConfigSources => ({
  env: {},
  platform: 'linux',
  uid: 1000,
  homedir: '/home/ann',
  cwd: '/work',
  readTextFile: () => undefined,
  ...overrides,
});

const files =
  (contents: Record<string, string>) =>
  (path: string): string | undefined =>
    contents[path];

describe('resolveConfig: home', () => {
  it('takes --home over COLIBRI_HOME over the platform default', () => {
    const env = { COLIBRI_HOME: '/env-home' };
    expect(resolveConfig({ home: '/flag-home' }, sources({ env })).home).toBe('/flag-home');
    expect(resolveConfig({}, sources({ env })).home).toBe('/env-home');
    expect(resolveConfig({}, sources()).home).toBe('/home/ann/.local/state/colibri');
  });

  it('uses the real platform rules for the default (root, XDG_STATE_HOME)', () => {
    expect(resolveConfig({}, sources({ uid: 0 })).home).toBe('/var/lib/colibri');
    expect(resolveConfig({}, sources({ uid: 0, platform: 'freebsd' })).home).toBe('/var/db/colibri');
    expect(resolveConfig({}, sources({ env: { XDG_STATE_HOME: '/xdg' } })).home).toBe('/xdg/colibri');
  });

  it('treats empty values as absent and makes a relative home absolute', () => {
    expect(resolveConfig({ home: '' }, sources({ env: { COLIBRI_HOME: ' ' } })).home).toBe(
      '/home/ann/.local/state/colibri',
    );
    expect(resolveConfig({ home: 'state' }, sources()).home).toBe('/work/state');
  });
});

describe('resolveConfig: daemon target', () => {
  it('defaults to $home/colibri.sock; --socket overrides (relative to the working directory)', () => {
    expect(resolveConfig({ home: '/h' }, sources()).target).toEqual({
      kind: 'socket',
      socketPath: '/h/colibri.sock',
    });
    expect(resolveConfig({ home: '/h', socket: 'run/c.sock' }, sources()).target).toEqual({
      kind: 'socket',
      socketPath: '/work/run/c.sock',
    });
  });

  it('takes --url (normalised) instead of the socket, and refuses both at once', () => {
    expect(resolveConfig({ url: 'http://100.64.0.1:9190/' }, sources()).target).toEqual({
      kind: 'url',
      url: 'http://100.64.0.1:9190',
    });
    expect(() => resolveConfig({ url: 'http://h:1', socket: '/s' }, sources())).toThrow(/mutually exclusive/);
  });

  it('takes COLIBRI_SOCKET / COLIBRI_URL (what a mother gives its handlers) when no flag names the daemon', () => {
    const socketEnv = { COLIBRI_SOCKET: 'run/agent.sock', COLIBRI_HOME: '/h' };
    expect(resolveConfig({}, sources({ env: socketEnv })).target).toEqual({
      kind: 'socket',
      socketPath: '/work/run/agent.sock',
    });
    expect(resolveConfig({}, sources({ env: { COLIBRI_URL: 'http://100.64.0.1:9190/' } })).target).toEqual({
      kind: 'url',
      url: 'http://100.64.0.1:9190',
    });
    // Flags win over the environment, and the environment may name only one.
    expect(resolveConfig({ socket: '/s' }, sources({ env: { COLIBRI_URL: 'http://h:1' } })).target).toEqual({
      kind: 'socket',
      socketPath: '/s',
    });
    expect(() =>
      resolveConfig({}, sources({ env: { COLIBRI_URL: 'http://h:1', COLIBRI_SOCKET: '/s' } })),
    ).toThrow(/COLIBRI_URL and COLIBRI_SOCKET are both set; unset one/);
    expect(() => resolveConfig({}, sources({ env: { COLIBRI_URL: 'ftp://h' } }))).toThrow(
      /^COLIBRI_URL must be http:\/\/ or https:\/\//,
    );
  });

  it('refuses a URL that is not http(s), not a URL, or carries credentials', () => {
    expect(() => resolveConfig({ url: 'ftp://h' }, sources())).toThrow(/http:\/\/ or https:\/\//);
    expect(() => resolveConfig({ url: 'h:9190' }, sources())).toThrow(/http/);
    expect(() => resolveConfig({ url: 'not a url' }, sources())).toThrow(/is not a URL/);
    try {
      resolveConfig({ url: 'http://op:s3cret-token@h:9190' }, sources());
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toMatch(/must not carry credentials/);
      expect((error as Error).message).not.toContain('s3cret-token');
    }
  });
});

describe('resolveConfig: token', () => {
  const tokenFile = '/h/operator.token';
  const withFile = sources({ readTextFile: files({ [tokenFile]: 'file-token\n' }) });

  it('takes --token over COLIBRI_TOKEN over the operator token file', () => {
    const env = { COLIBRI_TOKEN: 'env-token' };
    const both = { ...withFile, env };
    expect(resolveConfig({ home: '/h', token: 'flag-token' }, both)).toMatchObject({
      token: 'flag-token',
      tokenSource: 'flag',
    });
    expect(resolveConfig({ home: '/h' }, both)).toMatchObject({ token: 'env-token', tokenSource: 'env' });
    expect(resolveConfig({ home: '/h' }, withFile)).toMatchObject({
      token: 'file-token',
      tokenSource: 'file',
    });
  });

  it('reads the token file of the resolved home (COLIBRI_HOME), trimmed', () => {
    const config = resolveConfig(
      {},
      sources({ env: { COLIBRI_HOME: '/h' }, readTextFile: files({ [tokenFile]: '  file-token \n' }) }),
    );
    expect(config).toMatchObject({ token: 'file-token', tokenSource: 'file', tokenFile });
  });

  it('has no token when no source has one; empty values fall through', () => {
    expect(resolveConfig({ home: '/h' }, sources())).toMatchObject({ token: undefined, tokenSource: 'none' });
    expect(
      resolveConfig({ home: '/h', token: '' }, { ...withFile, env: { COLIBRI_TOKEN: '' } }),
    ).toMatchObject({ token: 'file-token', tokenSource: 'file' });
  });

  it('returns a frozen config', () => {
    expect(Object.isFrozen(resolveConfig({}, sources()))).toBe(true);
  });
});

describe('describeTarget / describeTokenSource', () => {
  it('names the socket or URL, and the token source without the token', () => {
    expect(describeTarget({ kind: 'socket', socketPath: '/h/colibri.sock' })).toBe(
      'unix socket /h/colibri.sock',
    );
    expect(describeTarget({ kind: 'url', url: 'http://h:1' })).toBe('http://h:1');
    for (const [flags, env, expected] of [
      [{ token: 'sekrit-1' }, {}, 'the token from --token'],
      [{}, { COLIBRI_TOKEN: 'sekrit-2' }, 'the token from COLIBRI_TOKEN'],
      [{}, {}, 'no token (no --token, no COLIBRI_TOKEN, /h/operator.token not readable)'],
    ] as const) {
      const text = describeTokenSource(resolveConfig({ home: '/h', ...flags }, sources({ env })));
      expect(text).toBe(expected);
      expect(text).not.toMatch(/sekrit/);
    }
    const fromFile = resolveConfig({ home: '/h' }, sources({ readTextFile: () => 'sekrit-3' }));
    expect(describeTokenSource(fromFile)).toBe('the operator token in /h/operator.token');
  });
});
