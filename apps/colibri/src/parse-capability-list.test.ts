import { describe, expect, it } from 'vitest';
import { parseCapabilityList } from './parse-capability-list.js';

describe('parseCapabilityList', () => {
  it('splits, trims and drops empty items', () => {
    expect(parseCapabilityList('linux, image-render ,,python3.12,')).toEqual([
      'linux',
      'image-render',
      'python3.12',
    ]);
    expect(parseCapabilityList('')).toEqual([]);
    expect(parseCapabilityList(' , ')).toEqual([]);
  });

  it('fails fast naming the flag and the bad tag', () => {
    expect(() => parseCapabilityList('linux,Image-Render')).toThrow(
      '--capabilities[1]: "Image-Render" is not a valid capability tag (tags are lower-case: did you mean "image-render"?)',
    );
    expect(() => parseCapabilityList('gpu,gpu')).toThrow('--capabilities[1]: "gpu" is listed twice');
    expect(() => parseCapabilityList('a b')).toThrow(/"a b" is not a valid capability tag/);
  });
});
