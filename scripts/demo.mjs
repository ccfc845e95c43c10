#!/usr/bin/env node
// colibri's main job on its embedded default, on one machine: a real `colibrid` on SQLite and real
// `colibri run-agent` processes shaped like the seed's hosts (FreeBSD server lane, Linux media lane,
// Linux docker lane). Tasks are routed to the right lane and run by handler executables; a task
// nobody can serve parks with the reason and is picked up when a fourth agent with the missing tag
// joins; a tenant is registered, its .env provisioned (directory secret source, 0600) with a
// one-time join token, and its agent borrows the media lane's `image-render` through a sub-task.
//
//   npm run demo                          # fresh temp home, removed afterwards
//   COLIBRI_HOME=/some/dir npm run demo   # keep the home (database, socket, operator token)
//
// The story is told by parts in scripts/demo/, run in order on one hive (scripts/demo/hive.mjs).
// A part exports `name`, optionally `handlers(hive)` (executables it needs) and `run(hive)`; to add
// one, write scripts/demo/<part>.mjs and list it below, before `summary` (which checks that every
// task is done and stops the agents). Each part runs `within` its own zx context, so `$` settings
// one part changes never leak into the next.
import { within } from 'zx';
import { say, startHive } from './demo/hive.mjs';
import * as lanes from './demo/lanes.mjs';
import * as mcp from './demo/mcp.mjs';
import * as parked from './demo/parked.mjs';
import * as summary from './demo/summary.mjs';
import * as tenant from './demo/tenant.mjs';

const parts = [lanes, mcp, parked, tenant, summary];

let hive;
let failed = false;
try {
  hive = await startHive();
  for (const part of parts) part.handlers?.(hive);
  for (const part of parts) await within(() => part.run(hive));
  failed = hive.failed;
} catch (error) {
  failed = true;
  process.stderr.write(`demo failed: ${error.stack ?? error}\n`);
  for (const agent of hive?.agents ?? [])
    if (agent.stderr) process.stderr.write(`--- ${agent.name}\n${agent.stderr}`);
} finally {
  const closed = await hive?.close();
  say(
    failed
      ? '\ndemo: something went wrong (see above)'
      : `\ndemo: done${closed?.keep ? `; home kept at ${closed.home}` : ''}`,
  );
}
process.exitCode = failed ? 1 : 0;
