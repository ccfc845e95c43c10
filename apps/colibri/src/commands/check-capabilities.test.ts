import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../bin/run.js', import.meta.url));
const colibri = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });

describe('colibri check-capabilities', () => {
  it('prints valid tags, and JSON with --json', () => {
    expect(colibri('check-capabilities', 'linux,image-render').stdout).toBe('linux image-render\n');
    expect(JSON.parse(colibri('check-capabilities', 'linux', '--json').stdout)).toEqual({
      capabilities: ['linux'],
    });
  });

  it('exits 2 with a one-line reason naming the bad tag', () => {
    const result = colibri('check-capabilities', 'linux,Linux');
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      'colibri: capabilities[1]: "Linux" is not a valid capability tag (tags are lower-case: did you mean "linux"?) [COLIBRI_INVALID_CAPABILITY]\n',
    );
    const json = colibri('check-capabilities', 'gpu,gpu', '--json');
    expect(json.status).toBe(2);
    expect(JSON.parse(json.stdout).error.code).toBe('COLIBRI_INVALID_CAPABILITY');
  });
});
