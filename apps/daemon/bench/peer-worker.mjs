// The worker side of a peer job queue for lifecycle.bench.mjs, in its own process (as colibri's
// agents are): `node peer-worker.mjs graphile <connectionString> <concurrency>` or
// `node peer-worker.mjs bullmq <redisPort> <concurrency>`. It tells its parent over IPC when it is
// ready, when a job's handler starts ({ started: id, at }) and when the queue has recorded the job
// as completed ({ done: id, at }); `at` is a wall-clock time in ms comparable across processes.
const [kind, target, concurrencyText] = process.argv.slice(2);
const concurrency = Number(concurrencyText);
const now = () => performance.timeOrigin + performance.now();
const send = (message) => process.send?.(message);

if (kind === 'graphile') {
  const { run, Logger } = await import('graphile-worker');
  const runner = await run({
    connectionString: target,
    concurrency,
    noHandleSignals: true,
    pollInterval: 2000,
    logger: new Logger(() => () => {}),
    taskList: {
      bench: async (payload) => {
        send({ started: payload.id, at: now() });
      },
    },
  });
  // job:complete fires after graphile-worker's completeJob statement returned.
  runner.events.on('job:complete', ({ job, error }) => {
    if (!error) send({ done: job.payload.id, at: now() });
  });
  process.on('disconnect', () => runner.stop().finally(() => process.exit(0)));
  send({ ready: true });
} else if (kind === 'bullmq') {
  const { Worker } = await import('bullmq');
  const worker = new Worker(
    'bench',
    async (job) => {
      send({ started: job.data.id, at: now() });
      return { ok: true };
    },
    { connection: { host: '127.0.0.1', port: Number(target) }, concurrency },
  );
  worker.on('completed', (job) => send({ done: job.data.id, at: now() }));
  await worker.waitUntilReady();
  process.on('disconnect', () => worker.close().finally(() => process.exit(0)));
  send({ ready: true });
} else {
  throw new Error(`unknown peer ${kind}`);
}
