import { describe, expect, it } from 'vitest';
import { CAPABILITIES, hasCapability, parseCapEff } from './cap-eff.js';

const status = (capEff: string) =>
  `Name:\tnode\nCapInh:\t0000000000000000\nCapPrm:\t${capEff}\nCapEff:\t${capEff}\nNoNewPrivs:\t0\n`;

describe('parseCapEff', () => {
  it('reads the effective set of full root', () => {
    const set = parseCapEff(status('000001ffffffffff'));
    expect(set).toBe(0x1ffffffffffn);
    for (const bit of Object.values(CAPABILITIES)) expect(hasCapability(set ?? 0n, bit)).toBe(true);
  });

  it('sees a container root without CAP_SYS_ADMIN', () => {
    // The Docker default set: chown, dac_override, fowner, fsetid, kill, setgid, setuid, setpcap, …
    const set = parseCapEff(status('00000000a80425fb')) ?? 0n;
    expect(hasCapability(set, CAPABILITIES.CAP_SETUID)).toBe(true);
    expect(hasCapability(set, CAPABILITIES.CAP_SETGID)).toBe(true);
    expect(hasCapability(set, CAPABILITIES.CAP_SYS_ADMIN)).toBe(false);
  });

  it('sees no capabilities at all', () => {
    const set = parseCapEff(status('0000000000000000')) ?? 1n;
    expect(set).toBe(0n);
    expect(hasCapability(set, CAPABILITIES.CAP_SETUID)).toBe(false);
  });

  it('returns undefined without a CapEff line or with garbage', () => {
    expect(parseCapEff('Name:\tnode\n')).toBeUndefined();
    expect(parseCapEff('CapEff:\tnot-hex\n')).toBeUndefined();
  });
});
