/** Linux capability numbers preflight needs (linux/capability.h). */
export const CAPABILITIES = Object.freeze({ CAP_SETGID: 6, CAP_SETUID: 7, CAP_SYS_ADMIN: 21 });

/**
 * The effective capability set from the text of `/proc/<pid>/status` (the `CapEff:` line, hex),
 * or undefined when there is no such line. euid 0 alone proves nothing: a container may run
 * uid 0 without capabilities.
 */
export function parseCapEff(statusText: string): bigint | undefined {
  const match = /^CapEff:\s*([0-9a-fA-F]{1,32})\s*$/m.exec(statusText);
  return match?.[1] === undefined ? undefined : BigInt(`0x${match[1]}`);
}

/** Whether capability number `bit` is in `set`. */
export function hasCapability(set: bigint, bit: number): boolean {
  return ((set >> BigInt(bit)) & 1n) === 1n;
}
