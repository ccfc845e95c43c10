import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { prepareHome } from './prepare-home.js';

describe('prepareHome', () => {
  const dirs: string[] = [];
  const fresh = () => {
    const dir = mkdtempSync(join(tmpdir(), 'colibri-home-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('creates the home 0700 and a 0600 token once, then reuses it', () => {
    const home = join(fresh(), 'a', 'b');
    const token = join(home, 'operator.token');
    const first = prepareHome(home, token);
    expect(first).toMatchObject({ createdHome: true, createdToken: true, warnings: [] });
    expect(statSync(home).mode & 0o777).toBe(0o700);
    expect(statSync(token).mode & 0o777).toBe(0o600);
    expect(readFileSync(token, 'utf8')).toBe(`${first.operatorToken}\n`);
    const second = prepareHome(home, token);
    expect(second).toMatchObject({
      createdHome: false,
      createdToken: false,
      operatorToken: first.operatorToken,
    });
  });

  it('leaves no temp file behind and refuses a token file that holds no token', () => {
    const home = fresh();
    const token = join(home, 'operator.token');
    prepareHome(home, token);
    expect(readFileSync(token, 'utf8').trim()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    writeFileSync(token, 'short\n', { mode: 0o600 });
    expect(() => prepareHome(home, token)).toThrow(/does not hold a token/);
  });

  it('warns when the token file is readable by others', () => {
    const home = fresh();
    const token = join(home, 'operator.token');
    writeFileSync(token, `${'x'.repeat(43)}\n`, { mode: 0o644 });
    expect(prepareHome(home, token).warnings.join()).toMatch(/readable by others/);
  });
});
