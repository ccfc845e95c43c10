import { describe, expect, it } from 'vitest';
import { keyringFilter, keyringFilterArchitectures } from './keyring-filter.js';

/** A tiny interpreter of the classic-BPF subset the filter uses, to check its verdicts. */
function verdict(program: Buffer, arch: number, nr: number): number {
  const data = [nr, arch];
  let a = 0;
  for (let pc = 0; pc < program.length / 8; ) {
    const code = program.readUInt16LE(pc * 8);
    const jt = program.readUInt8(pc * 8 + 2);
    const jf = program.readUInt8(pc * 8 + 3);
    const k = program.readUInt32LE(pc * 8 + 4);
    if (code === 0x20) {
      a = data[k / 4] as number;
      pc += 1;
    } else if (code === 0x15) pc += 1 + (a === k ? jt : jf);
    else if (code === 0x35) pc += 1 + (a >= k ? jt : jf);
    else if (code === 0x06) return k;
    else throw new Error(`unexpected opcode ${code}`);
  }
  throw new Error('fell off the program');
}

const ALLOW = 0x7fff0000;
const EPERM = 0x00050001;
const KILL = 0x80000000;

describe('keyringFilter', () => {
  it('refuses add_key, request_key and keyctl with EPERM on x86_64, i386 and x32, and allows the rest', () => {
    const program = keyringFilter('x64');
    for (const nr of [248, 249, 250]) expect(verdict(program, 0xc000003e, nr)).toBe(EPERM);
    for (const nr of [0, 1, 59, 247, 251, 435]) expect(verdict(program, 0xc000003e, nr)).toBe(ALLOW);
    expect(verdict(program, 0xc000003e, 0x40000000 + 248)).toBe(EPERM);
    for (const nr of [286, 287, 288]) expect(verdict(program, 0x40000003, nr)).toBe(EPERM);
    expect(verdict(program, 0x40000003, 3)).toBe(ALLOW);
    // Another architecture's syscall on this host is not guessed at.
    expect(verdict(program, 0xc00000b7, 217)).toBe(KILL);
  });

  it('knows aarch64 and its arm compat numbers', () => {
    const program = keyringFilter('arm64');
    for (const nr of [217, 218, 219]) expect(verdict(program, 0xc00000b7, nr)).toBe(EPERM);
    expect(verdict(program, 0xc00000b7, 63)).toBe(ALLOW);
    for (const nr of [309, 310, 311]) expect(verdict(program, 0x40000028, nr)).toBe(EPERM);
  });

  it('refuses an architecture it has no numbers for', () => {
    expect(keyringFilterArchitectures()).toEqual(['x64', 'arm64']);
    expect(() => keyringFilter('riscv64')).toThrow(/no keyring seccomp filter for architecture riscv64/);
  });
});
