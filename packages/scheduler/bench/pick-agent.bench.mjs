// Pick time: AgentIndex.pick versus the naive pickAgent scan, on seeded, realistic fleets.
// Run after `pnpm --filter @colibri/scheduler build`. Results (Markdown) go to stdout, progress to stderr.
import { AgentIndex, pickAgent } from '../dist/index.js';

const SEED = 3;
const SIZES = [100, 1_000, 10_000];
const TASKS_PER_FLEET = 400;
const TENANTS = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark', 'wayne', 'tyrell'];
const SHARED_SHARE = 0.3;
const OFFLINE_SHARE = 0.1;
const LINUX_SHARE = 0.78;
const WARMUP_MS = 150;
const MEAN_MS = 900;
const P99_MS = 400;

/** mulberry32: a tiny seeded PRNG, so every run measures the same fleets and tasks. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Besides the OS tag (linux or freebsd), 58 tags from common to rare; some exist on one OS only.
const VOCABULARY = [
  ['shell', 0.7],
  ['tailscale', 0.65],
  ['git', 0.6],
  ['python3.12', 0.5],
  ['node24', 0.45],
  ['curl', 0.45],
  ['docker', 0.4, 'linux'],
  ['systemd', 0.5, 'linux'],
  ['rc.d', 0.6, 'freebsd'],
  ['pf', 0.4, 'freebsd'],
  ['go', 0.25],
  ['rust', 0.22],
  ['make', 0.3],
  ['gcc', 0.2],
  ['clang', 0.15],
  ['zfs', 0.3, 'freebsd'],
  ['bastille', 0.25, 'freebsd'],
  ['freebsd-jail', 0.25, 'freebsd'],
  ['bwrap', 0.15, 'linux'],
  ['btrfs', 0.08, 'linux'],
  ['sqlite', 0.2],
  ['postgres', 0.1],
  ['redis', 0.08],
  ['nginx', 0.1],
  ['acme', 0.06],
  ['hermes', 0.08],
  ['gateway', 0.05],
  ['ffmpeg', 0.1],
  ['image-render', 0.08],
  ['pillow', 0.08],
  ['imagemagick', 0.06],
  ['pandoc', 0.05],
  ['latex', 0.03],
  ['java21', 0.06],
  ['ruby', 0.05],
  ['php', 0.04],
  ['deno', 0.04],
  ['bun', 0.03],
  ['terraform', 0.04],
  ['ansible', 0.05],
  ['kubectl', 0.04],
  ['helm', 0.03],
  ['aws-cli', 0.03],
  ['gcloud', 0.02],
  ['chromium', 0.03],
  ['playwright', 0.02],
  ['tesseract', 0.02],
  ['whisper', 0.01],
  ['llama-cpp', 0.01],
  ['ollama', 0.01],
  ['gpu', 0.01],
  ['cuda', 0.006, 'linux'],
  ['rocm', 0.002, 'linux'],
  ['gui', 0.01],
  ['x11', 0.008],
  ['wayland', 0.004, 'linux'],
  ['vnc', 0.005],
  ['screenshot', 0.003],
];

function pickTenant(random) {
  // Skewed: the first tenants own most of the agents.
  return TENANTS[Math.min(TENANTS.length - 1, Math.floor(-Math.log(1 - random()) * 2.5))];
}

function buildFleet(size, random) {
  const agents = [];
  for (let i = 0; i < size; i++) {
    const os = random() < LINUX_SHARE ? 'linux' : 'freebsd';
    const capabilities = [os];
    for (const [tag, share, only] of VOCABULARY) {
      if ((only === undefined || only === os) && random() < share) capabilities.push(tag);
    }
    // A display makes screenshots and GUI work possible on a few agents.
    if (capabilities.includes('screenshot') && !capabilities.includes('gui')) capabilities.push('gui');
    const offline = random() < OFFLINE_SHARE;
    const active = !offline && random() < 0.4;
    agents.push({
      id: `agent-${String(i).padStart(5, '0')}`,
      capabilities,
      status: offline ? 'offline' : active ? 'active' : 'idle',
      tenant: random() < SHARED_SHARE ? null : pickTenant(random),
      load: active ? 1 + Math.floor(random() * 4) : 0,
      // Room for every load above, so the picks measured are the ones before slots existed.
      slots: 8,
    });
  }
  return agents;
}

const TASK_KINDS = [
  ['common single-tag', 0.3, [['linux'], ['shell'], ['python3.12'], ['freebsd'], ['tailscale']]],
  [
    'common multi-tag',
    0.2,
    [
      ['linux', 'python3.12', 'git'],
      ['freebsd', 'zfs'],
      ['linux', 'docker', 'shell'],
    ],
  ],
  ['rare', 0.15, [['gpu'], ['screenshot'], ['image-render'], ['whisper']]],
  [
    'rare multi-tag',
    0.1,
    [
      ['gpu', 'cuda'],
      ['screenshot', 'gui'],
      ['image-render', 'ffmpeg', 'linux'],
    ],
  ],
  ['empty', 0.1, [[]]],
  ['unsatisfiable', 0.15, [['freebsd', 'docker'], ['quantum'], ['linux', 'rc.d', 'git']]],
];

function buildTasks(count, random) {
  const tasks = [];
  for (let i = 0; i < count; i++) {
    let roll = random();
    let kind = TASK_KINDS[TASK_KINDS.length - 1];
    for (const candidate of TASK_KINDS) {
      if (roll < candidate[1]) {
        kind = candidate;
        break;
      }
      roll -= candidate[1];
    }
    const shapes = kind[2];
    tasks.push({
      requiredCapabilities: shapes[Math.floor(random() * shapes.length)],
      tenant: random() < 0.25 ? null : pickTenant(random),
    });
  }
  return tasks;
}

let sink = 0;

function runRound(pick, tasks) {
  for (const task of tasks) sink += pick(task) === null ? 0 : 1;
}

/** Mean from timed whole rounds (no per-call timer overhead), p99 from per-call timing. */
function measure(pick, tasks) {
  const now = () => Number(process.hrtime.bigint()) / 1e6;
  let start = now();
  while (now() - start < WARMUP_MS) runRound(pick, tasks);

  let picks = 0;
  start = now();
  let elapsed = 0;
  while (elapsed < MEAN_MS) {
    runRound(pick, tasks);
    picks += tasks.length;
    elapsed = now() - start;
  }
  const meanUs = (elapsed * 1000) / picks;

  const samples = [];
  start = now();
  while (now() - start < P99_MS && samples.length < 500_000) {
    for (const task of tasks) {
      const t0 = process.hrtime.bigint();
      sink += pick(task) === null ? 0 : 1;
      samples.push(Number(process.hrtime.bigint() - t0) / 1000);
    }
  }
  samples.sort((a, b) => a - b);
  const p99Us = samples[Math.min(samples.length - 1, Math.floor(samples.length * 0.99))];
  return { meanUs, p99Us };
}

const fmt = (us) => (us >= 100 ? us.toFixed(0) : us >= 10 ? us.toFixed(1) : us.toFixed(2));

const random = prng(SEED);
const rows = [];
for (const size of SIZES) {
  const agents = buildFleet(size, random);
  const tasks = buildTasks(TASKS_PER_FLEET, random);
  const index = new AgentIndex(agents);

  let parked = 0;
  for (const task of tasks) {
    const naive = pickAgent(task, agents);
    const indexed = index.pick(task);
    if ((naive?.id ?? null) !== (indexed?.id ?? null)) {
      process.stderr.write(
        `MISMATCH at ${size} agents for ${JSON.stringify(task)}: naive ${naive?.id ?? null}, index ${indexed?.id ?? null}\n`,
      );
      process.exit(1);
    }
    if (naive === null) parked++;
  }
  process.stderr.write(
    `${size} agents: both pickers agree on ${tasks.length} tasks (${parked} parked); timing…\n`,
  );

  const naive = measure((task) => pickAgent(task, agents), tasks);
  const indexed = measure((task) => index.pick(task), tasks);
  rows.push({ size, naive, indexed });
  process.stderr.write(`${size} agents: naive ${fmt(naive.meanUs)} µs, index ${fmt(indexed.meanUs)} µs\n`);
}
if (sink < 0) process.stderr.write('unreachable\n');

const lines = [
  '## Scheduler: pick time',
  '',
  `Workload: seeded fleets (seed ${SEED}) over 60 capability tags with a skewed spread (linux on ~${Math.round(
    LINUX_SHARE * 100,
  )}%, shell on ~70%, gpu on ~1%, screenshot on ~0.3%), ${TENANTS.length} tenants plus ~${Math.round(
    SHARED_SHARE * 100,
  )}% shared agents, ~${Math.round(OFFLINE_SHARE * 100)}% offline; ${TASKS_PER_FLEET} tasks per fleet ` +
    `(${TASK_KINDS.map(([name, share]) => `${Math.round(share * 100)}% ${name}`).join(', ')}; 25% operator tasks), ` +
    `both pickers returning the same agent for every task. Mean over whole rounds after warm-up, p99 per call; Node ${process.version}.`,
  '',
  '| agents | naive µs/pick | index µs/pick | speed-up |',
  '|---:|---:|---:|---:|',
  ...rows.map(
    ({ size, naive, indexed }) =>
      `| ${size.toLocaleString('en-US')} | ${fmt(naive.meanUs)} (p99 ${fmt(naive.p99Us)}) | ${fmt(indexed.meanUs)} (p99 ${fmt(
        indexed.p99Us,
      )}) | ${(naive.meanUs / indexed.meanUs).toFixed(1)}× |`,
  ),
];
process.stdout.write(`${lines.join('\n')}\n`);
