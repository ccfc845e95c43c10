// The fake bastille(8), reproducing the behaviours colibri's driver must survive (JAIL-FACTS.md):
// the prefix 0750 check and root check, TARGET resolution by exact name, JID, UNIQUE PREFIX and
// `all`, version-dependent texts and flags (0.14 vs 1.x), errors that still exit 0, `destroy`
// taking `*-RELEASE` as a release, `list -j` that is not safe to parse, and a `cp` that follows
// symlinks planted inside the jail. Injected faults (config.faults) make start/stop/create fail.
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  err,
  isRunning,
  jidOf,
  listJails,
  loadContext,
  logCall,
  markRunning,
  markStopped,
  out,
  resolveTarget,
} from './lib/context.mjs';
import { jailBase, jailRoot, readFstab } from './lib/jail-fs.mjs';
import { runInJail } from './lib/jail-tools.mjs';

const ctx = loadContext();
const argv = process.argv.slice(2);
logCall(ctx, 'bastille', argv);
const faults = ctx.config.faults ?? {};
const E = ctx.modern ? '[ERROR]: ' : '';

function fail(...lines) {
  for (const line of lines) err(line);
  process.exit(1);
}

function usage(command = '') {
  fail(`Usage: bastille ${command || 'command'} [option(s)] TARGET ...`);
}

// bin/bastille: the prefix must be 0750 — checked before any command, --version included.
try {
  const stat = statSync(ctx.prefix);
  if (stat.isDirectory() && (stat.mode & 0o7777) !== 0o750) {
    fail(`Insecure permissions on ${ctx.prefix}`, `Try: chmod 0750 ${ctx.prefix}`);
  }
} catch {
  // no prefix yet: Bastille creates it on setup
}

function splitOptions(list, known) {
  const options = new Set();
  let i = 0;
  for (; i < list.length; i += 1) {
    const arg = list[i];
    if (!arg.startsWith('-') || arg === '-') break;
    const long = known[arg];
    if (long !== undefined) {
      options.add(long);
      continue;
    }
    if (arg.startsWith('--')) fail(`${E}Unknown Option: "${arg}"`);
    for (const letter of arg.slice(1)) {
      const name = known[`-${letter}`];
      if (name === undefined) fail(`${E}Unknown Option: "${arg}"`);
      options.add(name);
    }
  }
  return { options, rest: list.slice(i) };
}

function commandList(list) {
  const [what] = list;
  const jails = listJails(ctx);
  if (what === 'jails' || what === 'jail' || what === 'containers' || what === 'container') {
    for (const name of jails) out(name);
    return 0;
  }
  if (what === 'release' || what === 'releases') {
    if (existsSync(ctx.releasesDir)) for (const name of listDirs(ctx.releasesDir)) out(name);
    return 0;
  }
  if (what === '-j' || what === '--json') {
    // The shape changed across versions and 0.x emitted invalid JSON (a trailing comma): never parse it.
    if (ctx.modern) {
      out(
        JSON.stringify(
          jails.map((name) => ({
            JID: jidOf(ctx, name) ?? '-',
            Name: name,
            State: isRunning(ctx, name) ? 'Up' : 'Down',
          })),
        ),
      );
    } else {
      out(
        `[${jails.map((name) => `{"jid":"${name}","ip_address":"${config(name, 'ip4.addr')}"},`).join('')}]`,
      );
    }
    return 0;
  }
  if (what === undefined || what === '-a' || what === 'all') {
    out(
      ctx.modern
        ? ' JID  Name  State  IP Address  Release'
        : ' JID             IP Address      Hostname                      Path',
    );
    for (const name of jails) {
      out(
        ` ${jidOf(ctx, name) ?? '-'}  ${name}  ${isRunning(ctx, name) ? 'Up' : 'Down'}  ${config(name, 'ip4.addr')}`,
      );
    }
    return 0;
  }
  return usage('list');
}

function listDirs(dir) {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

function jailConf(name) {
  const file = join(jailBase(ctx, name), 'jail.conf');
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

/** `bastille config NAME get PROP`: the jail.conf value, or `not set`. */
function config(name, property) {
  for (const line of jailConf(name).split('\n')) {
    const match = /^\s*([A-Za-z0-9_.]+)\s*=\s*(.*?);\s*$/.exec(line);
    if (match && match[1] === property) return match[2].replace(/^"|"$/g, '');
  }
  return 'not set';
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}(\/([0-9]|[12][0-9]|3[0-2]))?$/;
const IPV6 = /^[0-9A-Fa-f:]+(\/[0-9]{1,3})?$/;

function commandCreate(list) {
  const { options, rest } = splitOptions(list, {
    '-T': 'thick',
    '--thick': 'thick',
    '-V': 'vnet',
    '--vnet': 'vnet',
    '-B': 'bridge',
    '--bridge': 'bridge',
    '-E': 'empty',
    '--empty': 'empty',
    '--no-boot': 'no-boot',
    '--no-validate': 'no-validate',
  });
  if (rest.length < 3 || rest.length > 4) return usage('create');
  const [name, release, ip, iface] = rest;
  const vnet = options.has('vnet') || options.has('bridge');
  // validate_name
  if (listJails(ctx).includes(name)) {
    fail(ctx.modern ? `[ERROR]: Jail already exists: ${name}` : `Error: Existing jail found: ${name}`);
  }
  if (/^[-_]/.test(name)) fail(`${E}Jail names may not begin with (-|_) characters!`);
  if (vnet && /[-_]/.test(name)) fail(`${E}VNET jail names may not contain (-|_) characters.`);
  if (!/^[A-Za-z0-9_-]+$/.test(name)) fail(`${E}Jail names may not contain special characters!`);
  if (/^[0-9]+$/.test(name)) fail(`${E}Jail names may not contain only digits.`);
  // validate_release
  if (!existsSync(join(ctx.releasesDir, release))) {
    fail(
      ctx.modern
        ? '[ERROR]: Release must be bootstrapped first.'
        : "Release must be bootstrapped first; see 'bastille bootstrap'.",
    );
  }
  if (
    !(
      IPV4.test(ip) ||
      IPV6.test(ip) ||
      ip === 'inherit' ||
      ip === 'ip_hostname' ||
      ip === 'DHCP' ||
      ip === 'SYNCDHCP'
    )
  ) {
    fail(`${E}Invalid IP address: ${ip}`);
  }
  const base = jailBase(ctx, name);
  const root = jailRoot(ctx, name);
  out('Creating a thinjail...');
  mkdirSync(root, { recursive: true });
  for (const dir of [
    'bin',
    'dev',
    'etc',
    'home',
    'proc',
    'root',
    'sys',
    'tmp',
    'usr/bin',
    'usr/sbin',
    'usr/local/bin',
    'var/cache',
    'var/db',
    'var/log',
    '.bastille',
  ]) {
    mkdirSync(join(root, dir), { recursive: true });
  }
  writeFileSync(
    join(root, 'etc/passwd'),
    'root:*:0:0:Charlie &:/root:/bin/sh\nnobody:*:65534:65534:Unprivileged user:/nonexistent:/usr/sbin/nologin\n',
  );
  writeFileSync(join(root, 'etc/group'), 'wheel:*:0:root\nnogroup:*:65533:\nnobody:*:65534:\n');
  writeFileSync(
    join(base, 'jail.conf'),
    [
      `${name} {`,
      '  devfs_ruleset = 4;',
      '  enforce_statfs = 2;',
      '  exec.clean;',
      `  exec.consolelog = /var/log/bastille/${name}_console.log;`,
      "  exec.start = '/bin/sh /etc/rc';",
      "  exec.stop = '/bin/sh /etc/rc.shutdown';",
      `  host.hostname = ${name};`,
      '  mount.devfs;',
      `  mount.fstab = ${base}/fstab;`,
      `  path = ${root};`,
      '  securelevel = 2;',
      `  osrelease = ${release};`,
      vnet ? '  vnet;' : `  interface = ${iface ?? ctx.config.interface};`,
      `  ip4.addr = ${ip};`,
      '  ip6 = disable;',
      '}',
      '',
    ].join('\n'),
  );
  writeFileSync(join(base, 'fstab'), `${join(ctx.releasesDir, release)} ${root}/.bastille nullfs ro 0 0\n`);
  writeFileSync(join(base, 'settings.conf'), 'boot=on\npriority=99\n');
  // chmod 0700 jails/NAME, as create.sh does.
  chmodSync(base, 0o700);
  if (options.has('no-boot')) return 0;
  if (faults.create === 'fail') {
    // The start failed: create.sh destroys what it made and says so.
    rmSync(base, { recursive: true, force: true });
    fail(ctx.modern ? `[ERROR]: Failed to create jail: ${name}` : `[${name}]: Failed to create jail...`);
  }
  if (faults.create === 'leave-stopped') {
    err(`jail: ${name}: mount.fstab: ${base}/fstab: No such file or directory`);
    return 0;
  }
  markRunning(ctx, name);
  out(`[${name}]:\n${name}: created\n`);
  return 0;
}

function commandStart(list) {
  const { rest } = splitOptions(list, { '-b': 'boot', '--boot': 'boot', '-d': 'delay', '-v': 'verbose' });
  if (rest.length !== 1) return usage('start');
  const jails = resolveTarget(ctx, rest[0]);
  if (jails === null) return 1;
  for (const name of jails) {
    out(`[${name}]:`);
    if (isRunning(ctx, name)) {
      err(`${E}Jail is already running.`);
      continue;
    }
    if (faults.start === 'silent') {
      // `jail -c` failed inside start.sh's loop: reported, and the script still exits 0.
      err(`jail: ${name}: /sbin/ifconfig bastille0 inet ${config(name, 'ip4.addr')} alias: failed`);
      continue;
    }
    markRunning(ctx, name);
    out(`${name}: created`);
  }
  return 0;
}

function commandStop(list) {
  const { rest } = splitOptions(list, { '-f': 'force', '--force': 'force', '-v': 'verbose' });
  if (rest.length !== 1) return usage('stop');
  const jails = resolveTarget(ctx, rest[0]);
  if (jails === null) return 1;
  for (const name of jails) {
    out(`[${name}]:`);
    if (!isRunning(ctx, name)) {
      err(`${E}Jail is already stopped.`);
      continue;
    }
    if (faults.stop === 'silent') {
      err(`jail: ${name}: jail_remove: Device busy`);
      continue;
    }
    markStopped(ctx, name);
    out(`${name}: removed`);
  }
  return 0;
}

const RELEASE_LIKE = [
  /-CURRENT(-i386)?$/i,
  /-RELEASE(-i386)?$/i,
  /-RC[1-9]$/i,
  /-BETA[1-9]$/,
  /-stable-(last|build-.*)$/i,
  /^current-build-/i,
  /^(Ubuntu_(1804|2004|2204)|Debian1[0-2])$/i,
];

async function commandDestroy(list) {
  const known = {
    '-a': 'auto',
    '--auto': 'auto',
    '-c': 'no-cache',
    '--no-cache': 'no-cache',
    '-f': 'force',
    '--force': 'force',
    '-x': 'debug',
  };
  if (ctx.modern) Object.assign(known, { '-y': 'yes', '--yes': 'yes' });
  const { options, rest } = splitOptions(list, known);
  if (rest.length !== 1) return usage('destroy');
  const [target] = rest;
  if (
    RELEASE_LIKE.some((pattern) => pattern.test(target)) ||
    (ctx.modern && existsSync(join(ctx.releasesDir, target)))
  ) {
    return destroyRelease(target.replace(/-release$/, '-RELEASE'));
  }
  const jails = resolveTarget(ctx, target);
  if (jails === null) return 1;
  for (const name of [...jails].reverse()) {
    if (isRunning(ctx, name)) {
      if (options.has('auto')) {
        markStopped(ctx, name);
      } else {
        out(`[${name}]:`);
        err('Jail is running.');
        err('Use [-a|--auto] to auto-stop the jail.');
        continue;
      }
    }
    if (ctx.modern && !options.has('yes')) {
      // `read -p` on stdin: no answer (no tty, empty stdin) is "Invalid input", exit 1.
      process.stdout.write(
        `\nAttempting to destroy jail: ${name}\nAre you sure you want to continue? [y|n]:`,
      );
      const answer = (await readLine()).trim();
      if (/^(y|yes)$/i.test(answer)) {
        // go on
      } else if (/^(n|no)$/i.test(answer)) fail('[ERROR]: Cancelled by user.');
      else fail("[ERROR]: Invalid input. Please answer 'y' or 'n'.");
    }
    if (faults.destroy === 'silent') {
      err(`${E}Failed to destroy jail: ${name}`);
      err(`Jail has mounted filesystems:\n${jailRoot(ctx, name)}/dev`);
      continue;
    }
    out(`[${name}]:\nDestroying jail...`);
    rmSync(jailBase(ctx, name), { recursive: true, force: true });
  }
  return 0;
}

function destroyRelease(release) {
  const dir = join(ctx.releasesDir, release);
  const children = listJails(ctx).filter((name) =>
    readFstab(ctx, name).some((entry) => entry.source === dir),
  );
  for (const child of children) err(`Notice: (${child}) depends on ${release} base.`);
  if (!existsSync(dir)) fail(`${E}Release base not found.`);
  if (children.length > 0) {
    err(`${E}Cannot destroy base with child containers.`);
    return 0;
  }
  out(`Deleting base: ${release}`);
  rmSync(dir, { recursive: true, force: true });
  return 0;
}

function readLine() {
  return new Promise((resolve) => {
    let text = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk) => {
      text += chunk;
      if (text.includes('\n')) {
        process.stdin.pause();
        resolve(text.split('\n')[0]);
      }
    });
    process.stdin.on('end', () => resolve(text));
    process.stdin.on('error', () => resolve(text));
  });
}

async function commandCmd(list) {
  const { rest } = splitOptions(list, { '-a': 'auto', '--auto': 'auto' });
  const [target, ...command] = rest;
  if (target === undefined || command.length === 0) return usage('cmd');
  const jails = resolveTarget(ctx, target);
  if (jails === null) return 1;
  let failures = 0;
  let last = 0;
  for (const name of jails) {
    out(`[${name}]:`);
    if (!isRunning(ctx, name)) {
      err(`${E}Jail is not running.`);
      err('Use [-a|--auto] to auto-start the jail.');
      continue;
    }
    const root = { name: 'root', uid: 0, gid: 0, home: '/root', shell: '/bin/sh' };
    last = await runInJail(ctx, name, root, command, { login: true });
    if (last !== 0) {
      failures += 1;
      if (!ctx.modern) err(`[${name}]: ${last}`);
    }
  }
  if (ctx.modern && failures > 0) fail(`[ERROR]: Command failed on ${failures} jails.`);
  return ctx.modern ? 0 : jails.length > 1 && failures > 0 ? 1 : last;
}

async function commandPkg(list) {
  const [target, ...command] = list;
  if (target === undefined || command.length === 0) return usage('pkg');
  const jails = resolveTarget(ctx, target);
  if (jails === null) return 1;
  let code = 0;
  for (const name of jails) {
    out(`[${name}]:`);
    if (!isRunning(ctx, name)) {
      err(`${E}Jail is not running.`);
      continue;
    }
    const root = { name: 'root', uid: 0, gid: 0, home: '/root', shell: '/bin/sh' };
    code = Math.max(code, await runInJail(ctx, name, root, ['/usr/sbin/pkg', ...command], { login: true }));
  }
  return code;
}

/** Host-side `cp -a` into the jail root: follows symlinks planted inside the jail (the danger). */
function commandCp(list) {
  const { rest } = splitOptions(list, { '-q': 'quiet', '--quiet': 'quiet' });
  if (rest.length !== 3) return usage('cp');
  const [target, hostPath, jailPath] = rest;
  const jails = resolveTarget(ctx, target);
  if (jails === null) return 1;
  for (const name of jails) {
    const destination = `${jailRoot(ctx, name)}/${jailPath.replace(/^\/+/, '')}`;
    copyFollowing(hostPath, destination);
    out(`${hostPath} -> ${destination}`);
  }
  return 0;
}

/** `cp -a` semantics that matter here: opening an existing destination follows its symlinks. */
function copyFollowing(source, destination) {
  if (statSync(source).isDirectory()) {
    mkdirSync(destination, { recursive: true });
    for (const entry of readdirSync(source)) copyFollowing(join(source, entry), join(destination, entry));
    return;
  }
  writeFileSync(destination, readFileSync(source));
}

function commandConfig(list) {
  const [target, action, property, ...value] = list;
  if (target === undefined || property === undefined) return usage('config');
  const jails = resolveTarget(ctx, target);
  if (jails === null) return 1;
  for (const name of jails) {
    if (action === 'get') out(config(name, property));
    else if (action === 'set') {
      const file = join(jailBase(ctx, name), 'jail.conf');
      const text = jailConf(name);
      const line = `  ${property} = ${value.join(' ')};`;
      const pattern = new RegExp(`^\\s*${property.replace(/\./g, '\\.')}\\s*=.*;\\s*$`, 'm');
      writeFileSync(
        file,
        pattern.test(text) ? text.replace(pattern, line) : text.replace(/\}\s*$/, `${line}\n}\n`),
      );
    } else return usage('config');
  }
  return 0;
}

/** `bastille mount NAME HOST JAIL [type options dump pass]`: an fstab entry, active while running. */
function commandMount(list) {
  const { rest } = splitOptions(list, { '-a': 'auto', '--auto': 'auto' });
  if (rest.length < 3 || rest.length > 7) return usage('mount');
  const [target, ...entry] = rest;
  const [hostPath, jailPath, type, perms, dump, pass] =
    entry.length === 2 ? [...entry, 'nullfs', 'ro', '0', '0'] : entry;
  if (!hostPath || !jailPath || !type || !perms || dump === undefined || pass === undefined) {
    err('FSTAB format not recognized.');
  }
  if (!existsSync(hostPath) && type === 'nullfs') mkdirSync(hostPath, { recursive: true });
  else if (!existsSync(hostPath) || type !== 'nullfs') {
    fail(
      `${E}Invalid host path or incorrect mount type in FSTAB.`,
      'Format: /host/path /jail/path nullfs ro 0 0',
    );
  }
  if (!/(ro|rw|rq|sw|xx)(,.*)?$/.test(perms)) fail('Detected invalid mount permissions in FSTAB.');
  const jails = resolveTarget(ctx, target);
  if (jails === null) return 1;
  for (const name of jails) {
    out(`[${name}]:`);
    if (!isRunning(ctx, name)) {
      err(`${E}Jail is not running.`);
      err('Use [-a|--auto] to auto-start the jail.');
      continue;
    }
    const full = `${jailRoot(ctx, name)}/${jailPath.replace(/^\/+/, '')}`.replace(/\/+$/, '');
    if (readFstab(ctx, name).some((line) => line.target === full)) {
      out(`Mountpoint already present in ${jailBase(ctx, name)}/fstab`);
      continue;
    }
    // Host-side mkdir -p, like mount.sh (it follows symlinks inside the jail).
    mkdirSync(full, { recursive: true });
    const fstab = join(jailBase(ctx, name), 'fstab');
    const current = existsSync(fstab) ? readFileSync(fstab, 'utf8') : '';
    writeFileSync(fstab, `${current}${hostPath} ${full} ${type} ${perms} ${dump} ${pass}\n`);
    out(`Added: ${hostPath} ${full} ${type} ${perms} ${dump} ${pass}`);
  }
  return 0;
}

function commandUmount(list) {
  const { rest } = splitOptions(list, { '-a': 'auto', '--auto': 'auto' });
  if (rest.length !== 2) return usage('umount');
  const [target, jailPath] = rest;
  const jails = resolveTarget(ctx, target);
  if (jails === null) return 1;
  for (const name of jails) {
    out(`[${name}]:`);
    if (!isRunning(ctx, name)) {
      err(`${E}Jail is not running.`);
      continue;
    }
    const full = `${jailRoot(ctx, name)}/${jailPath.replace(/^\/+/, '')}`.replace(/\/+$/, '');
    const fstab = join(jailBase(ctx, name), 'fstab');
    const lines = existsSync(fstab)
      ? readFileSync(fstab, 'utf8')
          .split('\n')
          .filter((line) => line !== '')
      : [];
    const kept = lines.filter((line) => line.split(/\s+/)[1] !== full);
    if (kept.length === lines.length) {
      err(`${E}The specified mount point does not exist.`);
      continue;
    }
    writeFileSync(fstab, kept.length === 0 ? '' : `${kept.join('\n')}\n`);
    out(`Unmounted: ${full}`);
  }
  return 0;
}

// Dispatch last: every helper and constant above is initialised by now.
const [command, ...args] = argv;
if (command === undefined || command === '-h' || command === '--help' || command === 'help') usage();
if (command === 'version' || command === '-v' || command === '--version') {
  // 0.14 prints it on stdout; 1.x through `info 1`, i.e. on stderr.
  if (ctx.modern) err(ctx.config.printedVersion);
  else out(ctx.config.printedVersion);
  process.exit(0);
}

// Every sub-command script starts with bastille_root_check.
if (process.geteuid() !== 0) fail('Bastille: Permission Denied', 'root / sudo / doas required');

const commands = {
  list: commandList,
  create: commandCreate,
  start: commandStart,
  stop: commandStop,
  destroy: commandDestroy,
  destory: commandDestroy,
  cmd: commandCmd,
  pkg: commandPkg,
  cp: commandCp,
  config: commandConfig,
  mount: commandMount,
  umount: commandUmount,
  unmount: commandUmount,
};
const run = commands[command];
if (run === undefined) usage();
process.exitCode = (await run(args)) ?? 0;
