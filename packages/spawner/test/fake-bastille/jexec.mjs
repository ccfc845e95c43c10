// The fake jexec(8): `jexec [-l] [-u user | -U user] jail command ...`. The jail is an exact name
// or a JID of a RUNNING jail (no prefix matching: that is Bastille's, not jexec's); -U looks the
// user up in the jail's own passwd; -l gives the login environment (HOME, SHELL, USER, PATH).
import { err, isRunning, jidOf, loadContext, logCall, runningJails } from './lib/context.mjs';
import { findUser } from './lib/jail-fs.mjs';
import { runInJail } from './lib/jail-tools.mjs';

const ctx = loadContext();
const argv = process.argv.slice(2);
logCall(ctx, 'jexec', argv);

let login = false;
let who = 'root';
let i = 0;
for (; i < argv.length; i += 1) {
  const arg = argv[i];
  if (arg === '-l') login = true;
  else if (arg === '-U' || arg === '-u') {
    who = argv[i + 1];
    i += 1;
  } else if (arg === '--') {
    i += 1;
    break;
  } else if (arg.startsWith('-')) {
    err(`jexec: illegal option -- ${arg.slice(1)}`);
    err('usage: jexec [-l] [-d working-directory] [-u username | -U username] jail [command ...]');
    process.exit(1);
  } else break;
}
const target = argv[i];
const command = argv.slice(i + 1);
if (target === undefined || command.length === 0) {
  err('usage: jexec [-l] [-d working-directory] [-u username | -U username] jail [command ...]');
  process.exit(1);
}
const jail = /^[0-9]+$/.test(target)
  ? runningJails(ctx).find((name) => jidOf(ctx, name) === Number(target))
  : isRunning(ctx, target)
    ? target
    : undefined;
if (jail === undefined) {
  err(`jexec: jail "${target}" not found`);
  process.exit(1);
}
const user = findUser(ctx, jail, who);
if (user === undefined) {
  err(`jexec: getpwnam: ${who}: no such user`);
  process.exit(1);
}
process.exitCode = await runInJail(ctx, jail, user, command, { login });
