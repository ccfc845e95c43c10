#!/usr/bin/env node
// colibrid skeleton: the workspace builds it so later work lands on a known shape. Serving the
// API arrives with the daemon issue; until then it says so instead of pretending to run.
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};
const args = process.argv.slice(2);

if (args.includes('--version')) {
  process.stdout.write(`colibrid ${pkg.version}\n`);
} else if (args.includes('--help') || args.length === 0) {
  process.stdout.write(
    'colibrid: the colibri daemon.\n\nNot serving yet in this version: the HTTP/JSON API on $COLIBRI_HOME/colibri.sock\n' +
      'arrives with the daemon issue. Try `npm run demo` for routing through the store and scheduler.\n',
  );
} else {
  process.stderr.write(`colibrid: unknown arguments ${args.join(' ')} (see colibrid --help)\n`);
  process.exitCode = 2;
}
