// Shared state of the fake Bastille (node builtins only). The state dir holds config.json (the
// version and injected faults, written by installFakeBastille), calls.jsonl (every invocation's
// argv, never the environment) and per-jail kernel state (running flag, JID, processes) that
// real Bastille keeps in the kernel. Jails themselves live under the prefix exactly like Bastille's.
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

export function loadContext() {
  const stateDir = process.env.FAKE_BASTILLE_STATE;
  if (!stateDir) {
    process.stderr.write('fake bastille: FAKE_BASTILLE_STATE is not set (use the installed wrappers)\n');
    process.exit(70);
  }
  const config = JSON.parse(readFileSync(join(stateDir, 'config.json'), 'utf8'));
  const major = Number.parseInt(config.version.split('.')[0], 10);
  return {
    stateDir,
    config,
    prefix: config.prefix,
    jailsDir: join(config.prefix, 'jails'),
    releasesDir: join(config.prefix, 'releases'),
    /** 0.x or 1.x: error texts, prompts and flags differ. */
    modern: major >= 1,
  };
}

export function logCall(ctx, tool, argv) {
  appendFileSync(join(ctx.stateDir, 'calls.jsonl'), `${JSON.stringify([tool, ...argv])}\n`);
}

export function out(text) {
  process.stdout.write(`${text}\n`);
}

export function err(text) {
  process.stderr.write(`${text}\n`);
}

/** Bastille's own listing: directories under jails/ that hold a jail.conf, in `ls -v` order. */
export function listJails(ctx) {
  if (!existsSync(ctx.jailsDir)) return [];
  return readdirSync(ctx.jailsDir)
    .filter((name) => existsSync(join(ctx.jailsDir, name, 'jail.conf')))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

function kernelDir(ctx, name) {
  return join(ctx.stateDir, 'kernel', name);
}

export function isRunning(ctx, name) {
  return existsSync(join(kernelDir(ctx, name), 'jid'));
}

export function jidOf(ctx, name) {
  const file = join(kernelDir(ctx, name), 'jid');
  return existsSync(file) ? Number.parseInt(readFileSync(file, 'utf8'), 10) : null;
}

export function runningJails(ctx) {
  const dir = join(ctx.stateDir, 'kernel');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((name) => isRunning(ctx, name));
}

/** `jail -c`: a fresh JID, like the kernel's counter. */
export function markRunning(ctx, name) {
  const counterFile = join(ctx.stateDir, 'next-jid');
  const jid = existsSync(counterFile) ? Number.parseInt(readFileSync(counterFile, 'utf8'), 10) : 1;
  writeFileSync(counterFile, String(jid + 1));
  mkdirSync(kernelDir(ctx, name), { recursive: true });
  writeFileSync(join(kernelDir(ctx, name), 'jid'), String(jid));
}

/** `jail -r`: every process in the jail is killed, the jail leaves the kernel. */
export function markStopped(ctx, name) {
  for (const proc of jailProcesses(ctx, name)) {
    for (const pid of [proc.pid, proc.supervisor]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  rmSync(kernelDir(ctx, name), { recursive: true, force: true });
}

/** Processes started inside a jail (by the daemon(8) emulation), as the kernel would know them. */
export function jailProcesses(ctx, name) {
  const dir = join(kernelDir(ctx, name), 'procs');
  if (!existsSync(dir)) return [];
  const found = [];
  for (const file of readdirSync(dir)) {
    try {
      found.push(JSON.parse(readFileSync(join(dir, file), 'utf8')));
    } catch {
      // being written or removed
    }
  }
  return found;
}

export function processDir(ctx, name) {
  return join(kernelDir(ctx, name), 'procs');
}

export function isAlive(pid) {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie still answers kill(0): look at its state.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/**
 * Bastille's TARGET resolution (set_target / set_target_single): `all`/`ALL`, the exact name, a
 * number as a running jail's JID, then a UNIQUE PREFIX of a jail name. Returns the jail names or
 * prints Bastille's error and returns null (the caller exits 1).
 */
export function resolveTarget(ctx, target, { single = false } = {}) {
  const jails = listJails(ctx);
  if (/^all$/i.test(target)) {
    if (single) {
      err(
        ctx.modern
          ? '[all|ALL] not supported with this command.'
          : 'Error: [all|ALL] not supported with this command.',
      );
      return null;
    }
    return jails;
  }
  if (!existsSync(join(ctx.jailsDir, target)) && /^[0-9]+$/.test(target)) {
    const byJid = runningJails(ctx).find((name) => jidOf(ctx, name) === Number(target));
    if (byJid === undefined) {
      err(`Error: JID "${target}" not found. Is jail running?`);
      return null;
    }
    return [byJid];
  }
  if (jails.includes(target)) return [target];
  const matches = jails.filter((name) => name.startsWith(target));
  if (matches.length === 1) return matches;
  if (matches.length > 1) {
    err(`Multiple jails found for ${target}:\n${matches.join('\n')}`);
    return null;
  }
  err(`Jail not found "${target}"`);
  return null;
}

export function isDirectory(path) {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
