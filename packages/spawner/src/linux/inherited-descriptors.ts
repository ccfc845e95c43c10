import { closeSync, readdirSync, readFileSync } from 'node:fs';

/** O_CLOEXEC as /proc/<pid>/fdinfo prints it (octal flags). */
const O_CLOEXEC = 0o2000000;

/**
 * The descriptors >= 3 of this process that would cross an exec: those without close-on-exec.
 * Node and libuv open every descriptor of their own with O_CLOEXEC (files, pipes, sockets, epoll,
 * eventfd), so a descriptor without it was inherited from whoever started the process — an
 * operator's `exec 30<other-tenant.env`, a pipe end, a `flock 200` lock — and Node's spawn would
 * hand it to every child. Linux only (reads /proc/self/fdinfo); [] where that is unreadable.
 */
export function inheritedDescriptors(): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc/self/fdinfo');
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const entry of entries) {
    const fd = Number(entry);
    if (!Number.isInteger(fd) || fd < 3) continue;
    let info: string;
    try {
      info = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
    } catch {
      // Closed meanwhile (the directory listing's own descriptor, for one).
      continue;
    }
    const flags = /^flags:\s*([0-7]+)$/m.exec(info)?.[1];
    if (flags !== undefined && (Number.parseInt(flags, 8) & O_CLOEXEC) === 0) found.push(fd);
  }
  return found.sort((a, b) => a - b);
}

/**
 * Closes every inherited descriptor >= 3 (see {@link inheritedDescriptors}) except `keep` — what
 * the process was deliberately given, e.g. the keeper's report channel or Node's IPC channel —
 * so that nothing of the spawning process reaches a sandbox through its children. Call it first
 * thing in an entry point, before any child is spawned. Returns the descriptors it closed.
 */
export function closeInheritedDescriptors(keep: readonly number[] = []): number[] {
  const closed: number[] = [];
  for (const fd of inheritedDescriptors()) {
    if (keep.includes(fd)) continue;
    try {
      closeSync(fd);
      closed.push(fd);
    } catch {
      // Already closed.
    }
  }
  return closed;
}
