import { readdir, readFile } from 'node:fs/promises';

/** The argv of process `pid` from /proc, or undefined when it is gone or a zombie (empty cmdline). */
export async function readCmdline(pid: number): Promise<string[] | undefined> {
  try {
    const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    if (raw === '') return undefined;
    return raw.replace(/\0$/, '').split('\0');
  } catch {
    return undefined;
  }
}

/** Whether `pid` exists and is not a zombie. */
export async function isProcessAlive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The state follows the parenthesised command name, which may itself contain ") ".
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** The pids of live processes (not zombies) whose real, effective, saved or fs uid is `uid`. */
export async function processesOfUid(uid: number): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = await readFile(`/proc/${entry}/status`, 'utf8');
      const uids = /^Uid:\s+(.*)$/m.exec(status)?.[1]?.trim().split(/\s+/).map(Number) ?? [];
      const state = /^State:\s+(\S)/m.exec(status)?.[1];
      if (uids.includes(uid) && state !== 'Z' && state !== 'X') pids.push(Number(entry));
    } catch {
      // It exited while we looked.
    }
  }
  return pids;
}

/** The direct children of `pid` (every thread's), from /proc/<pid>/task/<tid>/children. */
export async function childrenOf(pid: number): Promise<number[]> {
  const children: number[] = [];
  try {
    for (const task of await readdir(`/proc/${pid}/task`)) {
      try {
        const text = await readFile(`/proc/${pid}/task/${task}/children`, 'utf8');
        for (const child of text.trim().split(/\s+/)) if (/^\d+$/.test(child)) children.push(Number(child));
      } catch {
        // The thread ended while we looked.
      }
    }
  } catch {
    // The process is gone.
  }
  return children;
}
