// A separate process that opens the store from a JSON config and acts on it: used by the race
// and kill -9 tests so that contention and crashes are between real processes.
import { openStore } from '../dist/index.js';

const [mode, configJson, argJson] = process.argv.slice(2);
const store = await openStore(JSON.parse(configJson));
const arg = JSON.parse(argJson ?? '{}');
const out = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);

async function attempt(fn) {
  try {
    await fn();
    return 'won';
  } catch (error) {
    return error.code === 'COLIBRI_INTERNAL'
      ? `${error.code}:${error.message}`
      : (error.code ?? `unexpected:${error.message}`);
  }
}

if (mode === 'race') {
  // Wait for the go signal so that every worker starts hammering at the same moment.
  while (Date.now() < arg.startAt) await new Promise((r) => setTimeout(r, 1));
  const results = { won: 0, lost: {} };
  const tally = (r) => {
    if (r === 'won') results.won++;
    else results.lost[r] = (results.lost[r] ?? 0) + 1;
  };
  const lease = new Date(Date.now() + 3_600_000);
  const assignOne = (taskId) =>
    attempt(() =>
      store.assignTask({ taskId, agentId: arg.agentId, expectedAttempt: 0, leaseExpiresAt: lease }),
    );
  const cancelOne = (taskId) =>
    attempt(() => store.transitionTask({ taskId, to: 'cancelled', reason: arg.agentId }));
  if (arg.concurrent) {
    // PostgreSQL: many pool clients of this one process race too.
    (await Promise.all(arg.taskIds.map(assignOne))).forEach(tally);
    (await Promise.all(arg.taskIds.map(cancelOne))).forEach(tally);
  } else {
    for (const id of arg.taskIds) tally(await assignOne(id));
    for (const id of arg.taskIds) tally(await cancelOne(id));
  }
  out(results);
} else if (mode === 'intake-once') {
  // Several intakes with one idempotency key at the same moment (also from this process's pool).
  while (Date.now() < arg.startAt) await new Promise((r) => setTimeout(r, 1));
  const one = () =>
    store.intakeTaskOnce({ ...arg.request, idempotencyKey: arg.key }).then(
      ({ task, created }) => ({ id: task.id, created }),
      (error) => ({ error: `${error.code}: ${error.message}` }),
    );
  for (const result of await Promise.all(Array.from({ length: arg.copies }, one))) out(result);
} else if (mode === 'intake-forever') {
  // Acknowledge each task only after intakeTask resolved (= committed).
  for (let i = 0; ; i++) {
    const task = await store.intakeTask({
      title: `durable ${i}`,
      requiredCapabilities: ['linux'],
      payload: { i },
    });
    out({ id: task.id });
  }
}
await store.close();
