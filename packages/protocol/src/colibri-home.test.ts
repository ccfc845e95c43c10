import { describe, expect, it } from 'vitest';
import { colibriPaths, defaultColibriHome } from './colibri-home.js';

describe('defaultColibriHome', () => {
  it('follows the platform conventions', () => {
    expect(defaultColibriHome({ platform: 'freebsd', uid: 0, homedir: '/root' })).toBe('/var/db/colibri');
    expect(defaultColibriHome({ platform: 'linux', uid: 0, homedir: '/root' })).toBe('/var/lib/colibri');
    expect(defaultColibriHome({ platform: 'linux', uid: 1000, homedir: '/home/ann' })).toBe(
      '/home/ann/.local/state/colibri',
    );
    expect(
      defaultColibriHome({ platform: 'freebsd', uid: 1000, homedir: '/home/ann', xdgStateHome: '/xdg' }),
    ).toBe('/xdg/colibri');
  });

  it('names the socket, database and operator token inside the home', () => {
    expect(colibriPaths('/h')).toEqual({
      socket: '/h/colibri.sock',
      database: '/h/colibri.db',
      operatorToken: '/h/operator.token',
    });
  });
});
