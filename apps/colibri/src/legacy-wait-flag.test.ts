import { describe, expect, it } from 'vitest';
import { rewriteLegacyWait } from './legacy-wait-flag.js';

const base = ['--title', 't', '--capabilities', 'x'];

describe('rewriteLegacyWait', () => {
  it('leaves today’s spelling alone', () => {
    expect(rewriteLegacyWait([...base, '--wait', '30', '--json'])).toEqual({
      argv: [...base, '--wait', '30', '--json'],
      legacy: false,
      unlimited: false,
    });
    expect(rewriteLegacyWait(base)).toEqual({ argv: base, legacy: false, unlimited: false });
  });

  it('turns --wait --wait-timeout S (either order, = or space) into --wait S', () => {
    const expected = { argv: [...base, '--wait', '60', '--json'], legacy: true, unlimited: false };
    expect(rewriteLegacyWait([...base, '--wait', '--wait-timeout', '60', '--json'])).toEqual(expected);
    expect(rewriteLegacyWait([...base, '--wait', '--wait-timeout=60', '--json'])).toEqual(expected);
    expect(rewriteLegacyWait(['--wait-timeout', '60', ...base, '--wait', '--json'])).toEqual({
      argv: [...base, '--wait', '60', '--json'],
      legacy: true,
      unlimited: false,
    });
  });

  it('a bare --wait, last or before another flag, waits with no limit', () => {
    expect(rewriteLegacyWait([...base, '--wait'])).toEqual({ argv: base, legacy: true, unlimited: true });
    expect(rewriteLegacyWait([...base, '--wait', '--json'])).toEqual({
      argv: [...base, '--json'],
      legacy: true,
      unlimited: true,
    });
  });

  it('hands --wait-timeout without --wait to the parser (which refuses it)', () => {
    expect(rewriteLegacyWait([...base, '--wait-timeout', '5']).argv).toEqual([
      ...base,
      '--wait-timeout',
      '5',
    ]);
  });
});
