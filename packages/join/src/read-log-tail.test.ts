import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLogTail, WITHHELD_LINE } from './read-log-tail.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'colibri-log-tail-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readLogTail', () => {
  it('gives the last lines, without trailing blank lines', async () => {
    const path = join(dir, 'many.log');
    await writeFile(path, `${Array.from({ length: 50 }, (_, i) => `line ${i + 1}`).join('\n')}\n\n\n`);
    const tail = await readLogTail(path);
    expect(tail).toHaveLength(20);
    expect(tail[0]).toBe('line 31');
    expect(tail.at(-1)).toBe('line 50');
    expect(await readLogTail(path, { lines: 2 })).toEqual(['line 49', 'line 50']);
  });

  it('withholds every line holding a secret, whole', async () => {
    const path = join(dir, 'secret.log');
    await writeFile(path, 'starting\ntoken=abc-secret-123 used\nregistered\n');
    expect(await readLogTail(path, { secrets: ['abc-secret-123'] })).toEqual([
      'starting',
      WITHHELD_LINE,
      'registered',
    ]);
  });

  it('reads only the end of a huge log, dropping the partial first line', async () => {
    const path = join(dir, 'huge.log');
    await writeFile(path, `${'x'.repeat(200_000)}\nlast line\n`);
    expect(await readLogTail(path)).toEqual(['last line']);
  });

  it('an empty or missing log gives no lines', async () => {
    const empty = join(dir, 'empty.log');
    await writeFile(empty, '');
    expect(await readLogTail(empty)).toEqual([]);
    expect(await readLogTail(join(dir, 'missing.log'))).toEqual([]);
  });
});
