import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runColibri } from '../testing/colibri-process.test-helper.js';

// A fake host: a PATH of small scripts and an empty root (no /dev/zfs, no display sockets).
let base: string;
let bin: string;
let root: string;
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'colibri-probe-cli-'));
  bin = join(base, 'bin');
  root = join(base, 'root');
  mkdirSync(bin);
  mkdirSync(root);
  const tool = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  tool('python3', 'case "$1" in --version) echo "Python 3.12.3" ;; *) echo "10.3.0" ;; esac');
  tool('go', 'echo "go version go1.23.1 linux/amd64"');
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

const env = () => ({ PATH: bin, HOME: base });
const run = (...args: string[]) => runColibri(['probe', '--root', root, ...args], env());

describe('colibri probe', () => {
  it('prints the tags this host can advertise', async () => {
    const result = await run();
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(`${process.platform} python3.12 go image-render\n`);
    expect(result.status).toBe(0);
  });

  it('--explain: evidence for each tag and why the others are absent', async () => {
    const result = await run('--explain');
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^TAG +EVIDENCE$/);
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`^python3.12 +${bin}/python3 --version printed "Python 3.12.3"$`)),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^ABSENT +WHY$/));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^zfs +no ${root}/dev/zfs$`)));
    expect(lines).toContainEqual(expect.stringMatching(/^ffmpeg +no ffmpeg on PATH$/));
  });

  it('--json: tags with evidence and the absent ones with reasons', async () => {
    const result = await run('--json');
    const json = JSON.parse(result.stdout);
    expect(json.tags).toContainEqual({
      tag: 'go',
      evidence: `${bin}/go version printed "go version go1.23.1 linux/amd64"`,
    });
    expect(json.tags.map((entry: { tag: string }) => entry.tag)).toEqual([
      process.platform,
      'python3.12',
      'go',
      'image-render',
    ]);
    expect(json.absent).toContainEqual({ tag: 'docker', reason: 'no docker on PATH' });
  });
});
