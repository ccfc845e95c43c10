// What runs "inside" a fake jail: a few FreeBSD tools emulated against the jail's own files
// (pw, id, chmod, test, cat, kill, pgrep/pkill, pkg, daemon), and real processes for anything
// installed in the jail (e.g. /usr/local/bin/colibri written by `pkg add`), started AS the jail
// user's uid/gid. Linux has no chroot for them here, so a non-root jail process gets only
// CAP_DAC_READ_SEARCH to traverse the 0750 prefix and 0700 jail directory to its home, like a
// jailed process would reach its own /home without ever seeing the prefix.
import { spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { err, isAlive, jailProcesses, out } from './context.mjs';
import { findUser, readGroups, readUsers, toHost } from './jail-fs.mjs';

const LOGIN_PATH = '/sbin:/bin:/usr/sbin:/usr/bin:/usr/local/sbin:/usr/local/bin';
const SEARCH = LOGIN_PATH.split(':');
const SIGNALS = ['HUP', 'INT', 'QUIT', 'KILL', 'TERM', 'USR1', 'USR2'];
const SIGNAL_NUMBERS = { 1: 'HUP', 2: 'INT', 3: 'QUIT', 9: 'KILL', 15: 'TERM', 30: 'USR1', 31: 'USR2' };

const EMULATED = {
  '/usr/bin/true': () => 0,
  '/usr/bin/false': () => 1,
  '/usr/bin/id': toolId,
  '/usr/sbin/pw': toolPw,
  '/bin/chmod': toolChmod,
  '/bin/test': toolTest,
  '/bin/cat': toolCat,
  '/bin/kill': toolKill,
  '/bin/pgrep': (ctx, jail, user, args) => toolPgrep(ctx, jail, user, args, false),
  '/bin/pkill': (ctx, jail, user, args) => toolPgrep(ctx, jail, user, args, true),
  '/usr/sbin/pkg': toolPkg,
  '/usr/sbin/daemon': toolDaemon,
};

/** The environment `jexec -l` gives: HOME, SHELL, USER from the jail's passwd, PATH from login.conf. */
export function loginEnv(ctx, jail, user) {
  const env = {
    HOME: toHost(ctx, jail, user.home),
    SHELL: user.shell,
    USER: user.name,
    PATH: LOGIN_PATH,
  };
  if (process.env.TERM) env.TERM = process.env.TERM;
  return env;
}

function inheritedEnv() {
  const env = { ...process.env };
  delete env.FAKE_BASTILLE_STATE;
  return env;
}

/** argv[0] inside the jail: an absolute jail path, or a name looked up on the login PATH. */
function locate(ctx, jail, command) {
  if (command.includes('/')) return command.startsWith('/') ? command : null;
  for (const dir of SEARCH) {
    const candidate = `${dir}/${command}`;
    if (EMULATED[candidate] || isExecutable(toHost(ctx, jail, candidate))) return candidate;
  }
  return null;
}

function isExecutable(hostPath) {
  try {
    const stat = statSync(hostPath);
    return stat.isFile() && (stat.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** Spawns a host executable as a jail user (see the file comment for the capability). */
export function spawnAs(ctx, user, hostPath, args, options) {
  if (user.uid === 0) return spawn(hostPath, args, options);
  return spawn(
    ctx.config.setpriv,
    [
      `--reuid=${user.uid}`,
      `--regid=${user.gid}`,
      '--clear-groups',
      '--inh-caps=-all,+dac_read_search',
      '--ambient-caps=+dac_read_search',
      '--',
      hostPath,
      ...args,
    ],
    options,
  );
}

/**
 * Runs argv inside the jail as `user` (a passwd entry of the jail). Returns the exit code; output
 * goes to this process's stdout/stderr, like jexec.
 */
export async function runInJail(ctx, jail, user, argv, { login }) {
  const [command, ...args] = argv;
  const path = locate(ctx, jail, command);
  const emulated = path === null ? undefined : EMULATED[path];
  if (emulated) return emulated(ctx, jail, user, args, { login });
  const hostPath = path === null ? null : toHost(ctx, jail, path);
  if (hostPath === null || !isExecutable(hostPath)) {
    err(`jexec: execvp: ${command}: No such file or directory`);
    return 1;
  }
  const home = toHost(ctx, jail, user.home);
  const child = spawnAs(ctx, user, hostPath, args, {
    env: login ? loginEnv(ctx, jail, user) : inheritedEnv(),
    cwd: existsSync(home) ? home : toHost(ctx, jail, '/'),
    stdio: 'inherit',
  });
  return new Promise((resolve) => {
    child.on('error', (error) => {
      err(`jexec: execvp: ${command}: ${error.message}`);
      resolve(1);
    });
    child.on('exit', (code, signal) => resolve(code ?? 128 + (signal === 'SIGKILL' ? 9 : 15)));
  });
}

function toolId(ctx, jail, user, args) {
  const flags = args.filter((arg) => arg.startsWith('-')).join('');
  const who = args.find((arg) => !arg.startsWith('-'));
  const target = who === undefined ? user : findUser(ctx, jail, who);
  if (target === undefined) {
    err(`id: ${who}: no such user`);
    return 1;
  }
  const group = readGroups(ctx, jail).find((g) => g.gid === target.gid);
  if (flags.includes('u')) out(flags.includes('n') ? target.name : String(target.uid));
  else if (flags.includes('g'))
    out(flags.includes('n') ? (group?.name ?? String(target.gid)) : String(target.gid));
  else
    out(
      `uid=${target.uid}(${target.name}) gid=${target.gid}(${group?.name ?? target.gid}) groups=${target.gid}`,
    );
  return 0;
}

function parseOptions(args, withValue) {
  const options = {};
  const rest = [];
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i];
    if (arg.startsWith('-') && arg.length === 2) {
      const key = arg[1];
      if (withValue.includes(key)) {
        options[key] = args[i + 1];
        i += 1;
      } else {
        options[key] = true;
      }
    } else {
      rest.push(arg);
    }
  }
  return { options, rest };
}

function appendLine(file, line) {
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
  writeFileSync(file, `${current}${current === '' || current.endsWith('\n') ? '' : '\n'}${line}\n`);
}

function toolPw(ctx, jail, user, args) {
  const [sub, ...rest] = args;
  if (user.uid !== 0) {
    err('pw: you must be root to run this program');
    return 1;
  }
  const { options, rest: positional } = parseOptions(rest, 'nugcdMsGw');
  const name = options.n ?? positional[0];
  const passwd = toHost(ctx, jail, '/etc/passwd');
  const groupFile = toHost(ctx, jail, '/etc/group');
  if (sub === 'useradd') {
    if (typeof name !== 'string' || !/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name)) {
      err(`pw: invalid user name \`${name}'`);
      return 65;
    }
    const users = readUsers(ctx, jail);
    if (users.some((u) => u.name === name)) {
      err(`pw: user '${name}' already exists`);
      return 65;
    }
    let uid = options.u === undefined ? 1001 : Number(options.u);
    if (options.u !== undefined && users.some((u) => u.uid === uid)) {
      err(`pw: uid \`${uid}' has already been allocated`);
      return 65;
    }
    while (users.some((u) => u.uid === uid)) uid += 1;
    const groups = readGroups(ctx, jail);
    let gid;
    if (options.g !== undefined) {
      const group = groups.find((g) => g.name === options.g || String(g.gid) === options.g);
      if (group === undefined) {
        err(`pw: group \`${options.g}' is not defined`);
        return 67;
      }
      gid = group.gid;
    } else {
      const same = groups.find((g) => g.name === name);
      if (same) gid = same.gid;
      else {
        gid = uid;
        while (groups.some((g) => g.gid === gid)) gid += 1;
        appendLine(groupFile, `${name}:*:${gid}:`);
      }
    }
    const home = options.d ?? `/home/${name}`;
    const shell = options.s ?? '/bin/sh';
    appendLine(passwd, `${name}:*:${uid}:${gid}:${options.c ?? 'User &'}:${home}:${shell}`);
    if (options.m) {
      const hostHome = toHost(ctx, jail, home);
      if (!existsSync(hostHome)) {
        mkdirSync(dirname(hostHome), { recursive: true });
        const mode = (options.M === undefined ? 0o777 : Number.parseInt(options.M, 8)) & ~0o022;
        mkdirSync(hostHome, { mode });
        chmodSync(hostHome, mode);
        chownSync(hostHome, uid, gid);
      }
    }
    return 0;
  }
  if (sub === 'usermod' || sub === 'userdel') {
    const users = readUsers(ctx, jail);
    const target = users.find((u) => u.name === name);
    if (target === undefined) {
      err(`pw: user '${name}' does not exist`);
      return 67;
    }
    const kept = readFileSync(passwd, 'utf8')
      .split('\n')
      .filter((line) => line !== '' && line.split(':')[0] !== name);
    if (sub === 'usermod') {
      const next = {
        ...target,
        ...(options.s ? { shell: options.s } : {}),
        ...(options.c ? { gecos: options.c } : {}),
      };
      if (options.d) next.home = options.d;
      kept.push(`${name}:*:${next.uid}:${next.gid}:${next.gecos}:${next.home}:${next.shell}`);
    } else if (options.r) {
      rmSync(toHost(ctx, jail, target.home, { followFinal: false }), { recursive: true, force: true });
    }
    writeFileSync(passwd, `${kept.join('\n')}\n`);
    return 0;
  }
  err(`pw: unsupported by the fake: ${sub}`);
  return 64;
}

function mayRead(user, stat) {
  if (user.uid === 0) return true;
  if (stat.uid === user.uid) return (stat.mode & 0o400) !== 0;
  if (stat.gid === user.gid) return (stat.mode & 0o040) !== 0;
  return (stat.mode & 0o004) !== 0;
}

function toolChmod(ctx, jail, user, args) {
  const [mode, ...paths] = args;
  if (!/^[0-7]{3,4}$/.test(mode ?? '')) {
    err('usage: chmod mode file ... (the fake knows octal modes only)');
    return 1;
  }
  let code = 0;
  for (const path of paths) {
    const host = toHost(ctx, jail, path);
    try {
      const stat = statSync(host);
      if (user.uid !== 0 && stat.uid !== user.uid) {
        err(`chmod: ${path}: Operation not permitted`);
        code = 1;
        continue;
      }
      chmodSync(host, Number.parseInt(mode, 8));
    } catch {
      err(`chmod: ${path}: No such file or directory`);
      code = 1;
    }
  }
  return code;
}

function toolTest(ctx, jail, user, args) {
  const [flag, path] = args;
  let stat;
  try {
    stat = statSync(toHost(ctx, jail, path));
  } catch {
    return 1;
  }
  if (flag === '-f') return stat.isFile() ? 0 : 1;
  if (flag === '-d') return stat.isDirectory() ? 0 : 1;
  if (flag === '-e') return 0;
  if (flag === '-s') return stat.size > 0 ? 0 : 1;
  if (flag === '-r') return mayRead(user, stat) ? 0 : 1;
  err(`test: unsupported by the fake: ${flag}`);
  return 2;
}

function toolCat(ctx, jail, user, args) {
  let code = 0;
  for (const path of args) {
    const host = toHost(ctx, jail, path);
    try {
      if (!mayRead(user, statSync(host))) {
        err(`cat: ${path}: Permission denied`);
        code = 1;
        continue;
      }
      process.stdout.write(readFileSync(host));
    } catch {
      err(`cat: ${path}: No such file or directory`);
      code = 1;
    }
  }
  return code;
}

function signalName(arg) {
  const raw = arg.replace(/^-/, '').replace(/^SIG/i, '').toUpperCase();
  if (SIGNAL_NUMBERS[raw]) return SIGNAL_NUMBERS[raw];
  return SIGNALS.includes(raw) ? raw : null;
}

/** Signals a jail process the way the jail's kernel view allows: only the jail's, only your own unless root. */
function signalJailProcess(ctx, jail, user, pid, signal, tool) {
  const proc = jailProcesses(ctx, jail).find((p) => p.pid === pid);
  if (proc === undefined || !isAlive(pid)) {
    err(`${tool}: ${pid}: No such process`);
    return 1;
  }
  if (user.uid !== 0 && proc.uid !== user.uid) {
    err(`${tool}: ${pid}: Operation not permitted`);
    return 1;
  }
  process.kill(pid, `SIG${signal}`);
  return 0;
}

function toolKill(ctx, jail, user, args) {
  let signal = 'TERM';
  const pids = [];
  for (let i = 0; i < args.length; i += 1) {
    if (args[i] === '-s') {
      signal = signalName(args[i + 1] ?? '') ?? signal;
      i += 1;
    } else if (args[i].startsWith('-')) {
      const name = signalName(args[i]);
      if (name === null) {
        err(`kill: unknown signal ${args[i]}`);
        return 2;
      }
      signal = name;
    } else {
      pids.push(Number(args[i]));
    }
  }
  let code = 0;
  for (const pid of pids) code = Math.max(code, signalJailProcess(ctx, jail, user, pid, signal, 'kill'));
  return code;
}

/**
 * FreeBSD pgrep/pkill with `-F pidfile` (the pid in it) and `-L` (the pidfile must be locked, i.e.
 * its daemon(8) is alive: a stale pidfile never matches a reused pid). Exit 0 matched, 1 none,
 * 2 usage, 3 error.
 */
function toolPgrep(ctx, jail, user, args, kill) {
  const tool = kill ? 'pkill' : 'pgrep';
  let signal = 'TERM';
  let pidfile = null;
  let locked = false;
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i];
    if (arg === '-F') {
      pidfile = args[i + 1];
      i += 1;
    } else if (arg === '-L') locked = true;
    else if (kill && arg.startsWith('-') && signalName(arg) !== null) signal = signalName(arg);
    else {
      err(`${tool}: the fake supports only [-SIGNAL] -L -F pidfile, got ${arg}`);
      return 2;
    }
  }
  if (pidfile === null) {
    err(`usage: ${tool} [-L] -F pidfile`);
    return 2;
  }
  const host = toHost(ctx, jail, pidfile);
  let text;
  try {
    text = readFileSync(host, 'utf8');
  } catch {
    err(`${tool}: Cannot open pidfile \`${pidfile}': No such file or directory`);
    return 3;
  }
  const pid = Number.parseInt(text.trim(), 10);
  if (!Number.isInteger(pid) || pid <= 0) {
    err(`${tool}: Invalid pidfile \`${pidfile}'`);
    return 3;
  }
  const proc = jailProcesses(ctx, jail).find((p) => p.pid === pid);
  if (locked && (proc === undefined || proc.pidfile !== pidfile || !isAlive(proc.supervisor))) {
    err(`${tool}: File '${pidfile}' can be locked; the process is not running`);
    return 3;
  }
  if (proc === undefined || !isAlive(pid)) return 1;
  if (!kill) {
    out(String(pid));
    return 0;
  }
  if (user.uid !== 0 && proc.uid !== user.uid) {
    err(`pkill: signalling pid ${pid}: Operation not permitted`);
    return 3;
  }
  process.kill(pid, `SIG${signal}`);
  return 0;
}

function pkgDbFile(ctx, jail) {
  return toHost(ctx, jail, '/var/db/pkg/fake-local.json');
}

function readPkgDb(ctx, jail) {
  const file = pkgDbFile(ctx, jail);
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
}

function writePkgDb(ctx, jail, db) {
  const file = pkgDbFile(ctx, jail);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(db, null, 2)}\n`);
}

function readManifest(ctx, jail, path) {
  try {
    const manifest = JSON.parse(readFileSync(toHost(ctx, jail, path), 'utf8'));
    if (typeof manifest.name !== 'string' || typeof manifest.version !== 'string') return null;
    return manifest;
  } catch {
    return null;
  }
}

/**
 * pkg(8), offline: the fake package format is JSON {name, version, files: {jailPath: {content, mode}}}.
 * Like FreeBSD, a fresh jail has only the bootstrap stub: until the `pkg` package is added from a
 * local file, every other command asks to fetch pkg from the network (and fails without a tty).
 */
function toolPkg(ctx, jail, user, args) {
  const positional = [];
  for (let i = 0; i < args.length; i += 1) {
    if (args[i] === '-o') i += 1;
    else positional.push(args[i]);
  }
  const [sub, ...rest] = positional;
  const db = readPkgDb(ctx, jail);
  const force = rest.includes('-f');
  const files = rest.filter((arg) => !arg.startsWith('-'));
  if (db.pkg === undefined) {
    const first = sub === 'add' && files.length > 0 ? readManifest(ctx, jail, files[0]) : null;
    if (first?.name !== 'pkg') {
      err('The package management tool is not yet installed on your system.');
      err('Do you want to fetch and install it now? [y/N]: ');
      return 1;
    }
  }
  if (sub === 'add') {
    if (user.uid !== 0) {
      err('pkg: Insufficient privileges to install packages');
      return 77;
    }
    for (const file of files) {
      const manifest = readManifest(ctx, jail, file);
      if (manifest === null) {
        err(`pkg: ${file}: not a valid package (or No such file or directory)`);
        return 1;
      }
      const installed = db[manifest.name];
      if (installed !== undefined && !force) {
        if (installed.version === manifest.version) {
          out(`the most recent version of ${manifest.name}-${manifest.version} is already installed`);
          continue;
        }
        err(`pkg: ${manifest.name}-${installed.version} is already installed; use -f to replace it`);
        return 1;
      }
      out(`Installing ${manifest.name}-${manifest.version}...`);
      for (const [path, entry] of Object.entries(manifest.files ?? {})) {
        const host = toHost(ctx, jail, path);
        mkdirSync(dirname(host), { recursive: true });
        writeFileSync(host, entry.content);
        chmodSync(host, entry.mode ?? 0o644);
      }
      db[manifest.name] = { version: manifest.version, files: Object.keys(manifest.files ?? {}) };
      writePkgDb(ctx, jail, db);
    }
    return 0;
  }
  if (sub === 'info') {
    const names = files;
    if (rest.includes('-e')) return names.every((name) => db[name] !== undefined) ? 0 : 1;
    for (const [name, entry] of Object.entries(db)) {
      if (names.length === 0 || names.includes(name)) out(`${name}-${entry.version}`);
    }
    return 0;
  }
  if (sub === 'query') {
    const [format, name] = files;
    const entry = db[name];
    if (entry === undefined) return 1;
    out(String(format).replaceAll('%n', name).replaceAll('%v', entry.version));
    return 0;
  }
  err(`pkg: unsupported by the fake: ${sub}`);
  return 64;
}

/**
 * daemon(8): detaches a supervisor that runs the command as the calling jail user, writes the
 * child's pid to `-p` (removed when the child exits; "locked" while the supervisor lives),
 * appends its output to `-o`, and forwards SIGTERM. Like `daemon -f` it returns at once.
 */
function toolDaemon(ctx, jail, user, args, { login }) {
  const spec = { jail, user, pidfile: null, output: null, command: null, args: [] };
  let i = 0;
  for (; i < args.length; i += 1) {
    const arg = args[i];
    if (arg === '--') {
      i += 1;
      break;
    }
    if (arg === '-f' || arg === '-r' || arg === '-S') continue;
    if (arg === '-p' || arg === '-o' || arg === '-P' || arg === '-t' || arg === '-T') {
      if (arg === '-p') spec.pidfile = args[i + 1];
      if (arg === '-o') spec.output = args[i + 1];
      i += 1;
      continue;
    }
    if (arg.startsWith('-')) {
      err(`daemon: the fake does not know option ${arg}`);
      return 1;
    }
    break;
  }
  const [command, ...rest] = args.slice(i);
  if (command === undefined) {
    err(
      'usage: daemon [-cfHrS] [-p child_pidfile] [-P supervisor_pidfile] [-o output_file] command arguments ...',
    );
    return 1;
  }
  const path = locate(ctx, jail, command);
  spec.command = path === null ? command : toHost(ctx, jail, path);
  spec.args = rest;
  spec.env = login ? loginEnv(ctx, jail, user) : inheritedEnv();
  const home = toHost(ctx, jail, user.home);
  spec.cwd = existsSync(home) ? home : toHost(ctx, jail, '/');
  const supervisor = spawn(
    process.execPath,
    [fileURLToPath(new URL('../daemon-supervisor.mjs', import.meta.url))],
    {
      detached: true,
      stdio: 'ignore',
      env: { FAKE_BASTILLE_STATE: ctx.stateDir, FAKE_DAEMON_SPEC: JSON.stringify(spec) },
    },
  );
  supervisor.unref();
  return 0;
}
