#!/usr/bin/env node
// Renders, with oclif's own Help class and the built manifest, the help of the root (`colibri`,
// `colibri --help`) and of every command (`colibri ID --help`) exactly as `colibri` prints it into a
// pipe, and writes dist/help.json for the fast path. Run by build-fast-path.mjs with stdout on a pipe.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Config, loadHelpClass } from '@oclif/core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (process.stdout.isTTY) {
  process.stderr.write('render-help: stdout must be a pipe (oclif renders for it)\n');
  process.exit(2);
}
const config = await Config.load(root);
const Help = await loadHelpClass(config);

async function render(argv) {
  const chunks = [];
  const write = process.stdout.write;
  process.stdout.write = (chunk) => {
    chunks.push(String(chunk));
    return true;
  };
  try {
    await new Help(config, config.pjson.oclif.helpOptions ?? config.pjson.helpOptions).showHelp(argv);
  } finally {
    process.stdout.write = write;
  }
  return chunks.join('');
}

const byArgv = { '': await render([]), '--help': await render(['--help']) };
for (const id of config.commandIDs) {
  // Ids with a topic part are typed with spaces; leave those to oclif.
  if (id.includes(':')) continue;
  byArgv[`${id} --help`] = await render([id, '--help']);
}
writeFileSync(join(root, 'dist', 'help.json'), `${JSON.stringify({ byArgv })}\n`);
