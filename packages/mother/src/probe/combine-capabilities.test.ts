import { describe, expect, it } from 'vitest';
import { isProbeVocabularyTag } from './capability-vocabulary.js';
import { combineCapabilities } from './combine-capabilities.js';
import type { ProbedTag } from './probe-environment.js';

const probed: ProbedTag[] = [
  { tag: 'linux', evidence: 'the platform is linux' },
  { tag: 'python3.12', evidence: 'python3 --version printed "Python 3.12.3"' },
  { tag: 'node24', evidence: 'node --version printed "v24.1.0"' },
  { tag: 'ffmpeg', evidence: 'ffmpeg -version' },
];

describe('isProbeVocabularyTag', () => {
  it('knows the seed vocabulary and the version families, nothing else', () => {
    for (const tag of [
      'linux',
      'freebsd',
      'docker',
      'freebsd-jail',
      'gui',
      'screenshot',
      'wayland',
      'gpu',
      'zfs',
    ]) {
      expect(isProbeVocabularyTag(tag)).toBe(true);
    }
    for (const tag of [
      'rust',
      'go',
      'ffmpeg',
      'image-render',
      'python3.12',
      'python3.9',
      'node24',
      'node8',
    ]) {
      expect(isProbeVocabularyTag(tag)).toBe(true);
    }
    for (const tag of [
      'media',
      'hermes',
      'shell',
      'node',
      'python',
      'python3',
      'pillow',
      'nodejs',
      'python3.12.1',
    ]) {
      expect(isProbeVocabularyTag(tag)).toBe(false);
    }
  });
});

describe('combineCapabilities', () => {
  it('declared null: advertises exactly the probed tags', () => {
    expect(combineCapabilities({ declared: null, force: [], probed })).toEqual({
      capabilities: ['linux', 'python3.12', 'node24', 'ffmpeg'],
      refused: [],
    });
  });

  it('declared: advertises exactly the declared tags, in declared order, dropping undeclared probed ones', () => {
    expect(combineCapabilities({ declared: ['ffmpeg', 'linux'], force: [], probed })).toEqual({
      capabilities: ['ffmpeg', 'linux'],
      refused: [],
    });
    expect(combineCapabilities({ declared: [], force: [], probed })).toEqual({
      capabilities: [],
      refused: [],
    });
  });

  it('accepts declared tags outside the vocabulary (lane names) without confirmation', () => {
    expect(
      combineCapabilities({ declared: ['linux', 'media', 'hermes', 'shell'], force: [], probed }),
    ).toEqual({
      capabilities: ['linux', 'media', 'hermes', 'shell'],
      refused: [],
    });
  });

  it('refuses a declared vocabulary tag the probe did not confirm, with the probe reason', () => {
    const result = combineCapabilities({
      declared: ['linux', 'gpu'],
      force: [],
      probed,
      absent: [{ tag: 'gpu', reason: 'no nvidia-smi on PATH; no render node in /dev/dri' }],
    });
    expect(result).toEqual({
      capabilities: ['linux'],
      refused: [
        {
          tag: 'gpu',
          reason:
            'declared "gpu" but the probe did not find it on this host: no nvidia-smi on PATH; no render node in ' +
            '/dev/dri; install it, drop it from capabilities, or list it in forceCapabilities',
        },
      ],
    });
  });

  it('a version family must match the probed version exactly', () => {
    expect(combineCapabilities({ declared: ['python3.11', 'node20'], force: [], probed }).refused).toEqual([
      {
        tag: 'python3.11',
        reason:
          'declared "python3.11" but the probe did not find it on this host (it found python3.12); install it, ' +
          'drop it from capabilities, or list it in forceCapabilities',
      },
      {
        tag: 'node20',
        reason:
          'declared "node20" but the probe did not find it on this host (it found node24); install it, drop it ' +
          'from capabilities, or list it in forceCapabilities',
      },
    ]);
  });

  it('force accepts a declared tag without confirmation', () => {
    expect(
      combineCapabilities({ declared: ['linux', 'gpu', 'python3.11'], force: ['gpu', 'python3.11'], probed }),
    ).toEqual({
      capabilities: ['linux', 'gpu', 'python3.11'],
      refused: [],
    });
  });

  it('reasons name the version family when the probe explained it', () => {
    const [refusal] = combineCapabilities({
      declared: ['python3.12'],
      force: [],
      probed: [],
      absent: [{ tag: 'python3.*', reason: 'no python3 or python3.N on PATH' }],
    }).refused;
    expect(refusal?.reason).toContain(': no python3 or python3.N on PATH;');
  });
});
