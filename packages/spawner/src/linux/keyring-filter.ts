/**
 * A classic-BPF seccomp program that refuses the kernel keyring syscalls (`add_key`,
 * `request_key`, `keyctl`) with EPERM, as flatpak does, for bwrap's `--seccomp FD`.
 *
 * Why: the session keyring is inherited across fork/exec, setpriv and every namespace bwrap
 * creates, and a possessed key is readable whatever the uid. Without the filter a handler in a
 * jail reads (and overwrites) keys of the operator's session, and one jail's planted key is read by
 * the next jail spawned from that session. With it the sandbox cannot touch any keyring at all:
 * not the inherited session keyring, not its own user keyring, not another jail's.
 *
 * Every ABI a process on the host can use is covered (x86_64 with its i386 compat and x32 ABIs;
 * aarch64 with its 32-bit arm compat); a syscall of any other architecture kills the process.
 */

/** The keyring syscalls' numbers per audit architecture. */
interface ArchRule {
  /** AUDIT_ARCH_* of `struct seccomp_data.arch`. */
  readonly audit: number;
  readonly name: string;
  /** add_key, request_key, keyctl. */
  readonly syscalls: readonly number[];
  /** Syscall numbers at or above this are refused too (x86_64's x32 ABI sets bit 30). */
  readonly refuseFrom?: number;
}

const RULES: Readonly<Record<string, readonly ArchRule[]>> = Object.freeze({
  x64: [
    { audit: 0xc000003e, name: 'x86_64', syscalls: [248, 249, 250], refuseFrom: 0x40000000 },
    { audit: 0x40000003, name: 'i386', syscalls: [286, 287, 288] },
  ],
  arm64: [
    { audit: 0xc00000b7, name: 'aarch64', syscalls: [217, 218, 219] },
    { audit: 0x40000028, name: 'arm', syscalls: [309, 310, 311] },
  ],
});

// BPF opcodes (linux/filter.h) and seccomp return values (linux/seccomp.h).
const LD_W_ABS = 0x20;
const JEQ_K = 0x15;
const JGE_K = 0x35;
const RET_K = 0x06;
const RET_ALLOW = 0x7fff0000;
const RET_KILL_PROCESS = 0x80000000;
const RET_ERRNO_EPERM = 0x00050000 | 1;
/** Offsets in `struct seccomp_data`. */
const NR = 0;
const ARCH = 4;

interface Instruction {
  readonly code: number;
  readonly jt: number;
  readonly jf: number;
  readonly k: number;
}

/** The architectures {@link keyringFilter} has a program for (Node's `process.arch` names). */
export function keyringFilterArchitectures(): string[] {
  return Object.keys(RULES);
}

/**
 * The filter for `arch` (Node's `process.arch`) as the bytes bwrap reads from its `--seccomp` fd
 * (`struct sock_filter[]`, host byte order). Throws for an architecture it has no numbers for.
 */
export function keyringFilter(arch: string = process.arch): Buffer {
  const rules = RULES[arch];
  if (rules === undefined) {
    throw new Error(
      `no keyring seccomp filter for architecture ${arch} (known: ${keyringFilterArchitectures().join(', ')})`,
    );
  }
  // Layout: per arch a block [jeq arch (else next block), ld nr, (jge refuseFrom), jeq nr… , ret allow],
  // then `ret kill` (an unknown arch) and `ret errno` (the shared target of every refused syscall).
  const blocks = rules.map(
    (rule) => 1 + 1 + (rule.refuseFrom === undefined ? 0 : 1) + rule.syscalls.length + 1,
  );
  const total = 1 + blocks.reduce((sum, size) => sum + size, 0) + 2;
  const errnoAt = total - 1;
  const program: Instruction[] = [{ code: LD_W_ABS, jt: 0, jf: 0, k: ARCH }];
  rules.forEach((rule, index) => {
    const size = blocks[index] as number;
    const start = program.length;
    // Not this arch: skip the block (the arch stays loaded in A for the next comparison).
    program.push({ code: JEQ_K, jt: 0, jf: size - 1, k: rule.audit });
    program.push({ code: LD_W_ABS, jt: 0, jf: 0, k: NR });
    const toErrno = () => errnoAt - program.length - 1;
    if (rule.refuseFrom !== undefined)
      program.push({ code: JGE_K, jt: toErrno(), jf: 0, k: rule.refuseFrom });
    for (const nr of rule.syscalls) program.push({ code: JEQ_K, jt: toErrno(), jf: 0, k: nr });
    program.push({ code: RET_K, jt: 0, jf: 0, k: RET_ALLOW });
    // A mismatched arch jumps past the block with the arch still in A, so no reload is needed.
    if (program.length - start !== size) throw new Error('keyring filter: block size mismatch');
  });
  program.push({ code: RET_K, jt: 0, jf: 0, k: RET_KILL_PROCESS });
  program.push({ code: RET_K, jt: 0, jf: 0, k: RET_ERRNO_EPERM });
  return encode(program);
}

function encode(program: readonly Instruction[]): Buffer {
  const bytes = Buffer.alloc(program.length * 8);
  const little = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  program.forEach((instruction, index) => {
    const at = index * 8;
    if (instruction.jt > 255 || instruction.jf > 255) throw new Error('keyring filter: jump too far');
    if (little) {
      bytes.writeUInt16LE(instruction.code, at);
      bytes.writeUInt32LE(instruction.k >>> 0, at + 4);
    } else {
      bytes.writeUInt16BE(instruction.code, at);
      bytes.writeUInt32BE(instruction.k >>> 0, at + 4);
    }
    bytes.writeUInt8(instruction.jt, at + 2);
    bytes.writeUInt8(instruction.jf, at + 3);
  });
  return bytes;
}
