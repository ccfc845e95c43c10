// A jail's filesystem as a process inside it sees it: paths are resolved against the jail's root
// (symlinks included: an absolute link target restarts at the jail root, like chroot), nullfs
// mounts from the jail's fstab are visible while the jail runs, and users come from the jail's
// own /etc/passwd (the "users file per jail").
import { existsSync, lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { isRunning } from './context.mjs';

export function jailBase(ctx, name) {
  return join(ctx.jailsDir, name);
}

export function jailRoot(ctx, name) {
  return join(ctx.jailsDir, name, 'root');
}

/** The jail's fstab as Bastille writes it: `SOURCE HOST-TARGET TYPE OPTIONS DUMP PASS`. */
export function readFstab(ctx, name) {
  const file = join(jailBase(ctx, name), 'fstab');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [source, target, type, options] = line.split(/\s+/);
      return { line, source, target, type, options };
    });
}

/** nullfs mounts under the jail root, active while the jail runs (jail -c mounts mount.fstab). */
export function activeMounts(ctx, name) {
  if (!isRunning(ctx, name)) return [];
  const root = jailRoot(ctx, name);
  return readFstab(ctx, name)
    .filter((entry) => entry.type === 'nullfs' && entry.target.startsWith(`${root}/`))
    .map((entry) => ({ jailPath: entry.target.slice(root.length).replace(/\/+$/, ''), source: entry.source }))
    .sort((a, b) => b.jailPath.length - a.jailPath.length);
}

/**
 * The host path of `path` as seen inside jail `name`. Symlinks are followed relative to the jail
 * root (never to the host's /), so a link planted inside the jail cannot reach the host.
 */
export function toHost(ctx, name, path, { followFinal = true } = {}) {
  const root = jailRoot(ctx, name);
  const mounts = activeMounts(ctx, name);
  const hostOf = (jailPath) => {
    const p = jailPath === '' ? '/' : jailPath;
    for (const mount of mounts) {
      if (p === mount.jailPath || p.startsWith(`${mount.jailPath}/`))
        return mount.source + p.slice(mount.jailPath.length);
    }
    return p === '/' ? root : root + p;
  };
  let pending = String(path).split('/').filter(Boolean);
  let resolved = '';
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift();
    if (part === '.') continue;
    if (part === '..') {
      resolved = resolved.slice(0, resolved.lastIndexOf('/'));
      continue;
    }
    const candidate = `${resolved}/${part}`;
    let stat = null;
    try {
      stat = lstatSync(hostOf(candidate));
    } catch {
      stat = null;
    }
    if (stat?.isSymbolicLink() && (pending.length > 0 || followFinal)) {
      hops += 1;
      if (hops > 32)
        throw Object.assign(new Error(`${path}: too many levels of symbolic links`), { code: 'ELOOP' });
      const target = readlinkSync(hostOf(candidate));
      if (target.startsWith('/')) resolved = '';
      pending = [...target.split('/').filter(Boolean), ...pending];
      continue;
    }
    resolved = candidate;
  }
  return hostOf(resolved);
}

/** The jail's users (FreeBSD /etc/passwd: name:pw:uid:gid:gecos:home:shell). */
export function readUsers(ctx, name) {
  const file = toHost(ctx, name, '/etc/passwd');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [user, , uid, gid, gecos, home, shell] = line.split(':');
      return { name: user, uid: Number(uid), gid: Number(gid), gecos, home, shell };
    });
}

export function readGroups(ctx, name) {
  const file = toHost(ctx, name, '/etc/group');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [group, , gid, members] = line.split(':');
      return { name: group, gid: Number(gid), members: members ? members.split(',') : [] };
    });
}

/** A user by name or numeric id, or undefined. */
export function findUser(ctx, name, who) {
  const users = readUsers(ctx, name);
  return /^[0-9]+$/.test(who)
    ? users.find((user) => user.uid === Number(who))
    : users.find((user) => user.name === who);
}
