// The fake sysctl(8): `sysctl -n OID` for the few OIDs a jail host's preflight reads.
import { err, loadContext, logCall, out } from './lib/context.mjs';

const ctx = loadContext();
const argv = process.argv.slice(2);
logCall(ctx, 'sysctl', argv);
const values = {
  'security.jail.jailed': ctx.config.jailed ? '1' : '0',
  'kern.osrelease': ctx.config.osrelease ?? '14.3-RELEASE',
  'kern.ostype': 'FreeBSD',
};
const quiet = argv.includes('-n');
let code = 0;
for (const oid of argv.filter((arg) => !arg.startsWith('-'))) {
  if (oid.includes('=')) {
    err(`sysctl: ${oid.split('=')[0]}: the fake is read-only`);
    code = 1;
  } else if (values[oid] === undefined) {
    err(`sysctl: unknown oid '${oid}'`);
    code = 1;
  } else out(quiet ? values[oid] : `${oid}: ${values[oid]}`);
}
process.exitCode = code;
