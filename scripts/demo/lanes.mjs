// Part 1: three lanes shaped like the seed's hosts start `colibri run-agent`; tasks are routed by
// capability and run by handlers.
import { isProbeVocabularyTag } from '@colibri/mother';
import { say, step } from './hive.mjs';

const lanes = [
  {
    name: 'hermes-osa',
    lane: 'FreeBSD server lane',
    capabilities: ['freebsd', 'shell', 'rc.d', 'pf', 'nginx', 'acme', 'hermes'],
  },
  {
    name: 'domedog',
    lane: 'Linux media lane',
    capabilities: ['linux', 'python3.12', 'ffmpeg', 'image-render'],
  },
  { name: 'hermes-debby', lane: 'Linux docker lane', capabilities: ['linux', 'docker', 'shell', 'hermes'] },
];
// This one machine plays every host: tags it cannot confirm by probing (freebsd, docker, …) are
// forced in the host layer, which is exactly what the forceCapabilities field is for.
const forced = (tags) => tags.filter(isProbeVocabularyTag);

export const name = 'lanes';

/** Handlers this part's tasks run. */
export function handlers(hive) {
  hive.handler(
    'nginx-check',
    `cat >/dev/null\nprintf '{"config":"ok","checkedBy":"%s"}\\n' "$COLIBRI_AGENT_ID"`,
  );
  hive.handler('docker-build', `cat >/dev/null\nprintf '{"image":"hive/demo:1","layers":3}\\n'`);
  // "Rendering": a real digest of the text, so the result depends on the input.
  hive.handler(
    'render',
    `text=$(sed -n 's/.*"text":"\\([^"]*\\)".*/\\1/p')\nsum=$(printf '%s' "$text" | cksum | cut -d' ' -f1)\nprintf '{"rendered":"%s.png","checksum":%s}\\n' "$text" "$sum"`,
  );
  hive.handler(
    'tmux-screenshot',
    `cat >/dev/null\nprintf '{"screenshot":"desktop-1.png","display":"simulated"}\\n'`,
  );
  // Skill manifests beside two handlers. Every lane has the files; only a lane whose own tags meet a
  // manifest offers that skill (the seed's tmux-screenshot needs a display: no lane has one until
  // the operator image joins).
  hive.manifest(
    'render',
    'description: Render a text as an image\nrequiredCapabilities: [image-render]\npayloadSchema:\n  type: object\n  required: [text]\n  properties:\n    text: {type: string}\n',
  );
  hive.manifest(
    'tmux-screenshot',
    'description: Screenshot the operator desktop\nrequiredCapabilities: [screenshot]\n',
  );
}

export async function run(hive) {
  const { operator } = hive;
  step("three lanes shaped like the seed's hosts start `colibri run-agent`");
  for (const lane of lanes) {
    const dir = hive.identityDir(
      lane.name,
      { capabilities: lane.capabilities, forceCapabilities: forced(lane.capabilities) },
      {},
    );
    hive.startAgent(lane.name, lane.lane, dir, { COLIBRI_TOKEN: hive.operatorToken });
  }
  for (const agent of hive.agents) await hive.registered(agent);

  step('tasks are routed by capability and run by handlers');
  const routed = [
    {
      title: 'check the nginx config',
      requiredCapabilities: ['freebsd', 'nginx'],
      payload: { handler: 'nginx-check' },
    },
    { title: 'render the hive logo', skill: 'render', payload: { text: 'hive-logo' } },
    {
      title: 'build the demo image',
      requiredCapabilities: ['linux', 'docker'],
      payload: { handler: 'docker-build' },
    },
  ];
  for (const spec of routed) {
    const { task } = await operator.intakeTask(spec);
    const done = await hive.finished(task.id);
    say(
      `  "${spec.title}" needs ${spec.skill === undefined ? '' : `skill ${spec.skill}: `}${done.requiredCapabilities.join('+')} -> ${hive.laneOf(done.assignedAgentId)}: ${hive.describeResult(done)}`,
    );
  }
}
