// Part 3: a skill nobody can offer yet parks with the reason and is picked up the moment a fourth
// agent whose tags meet the skill's manifest joins.
import { say, step } from './hive.mjs';

export const name = 'parked';

export async function run(hive) {
  const { operator } = hive;
  step('a skill nobody can offer yet parks, with the reason');
  const { task: shot } = await operator.intakeTask({
    title: 'screenshot the dashboard',
    skill: 'tmux-screenshot',
  });
  const { parked } = await operator.showTask(shot.id);
  const closest =
    parked?.skill === undefined
      ? undefined
      : [
          `no online agent offers skill ${parked.skill.name}`,
          ...parked.skill.declinedBy.map(
            (d) => `${d.agentName} has the handler but lacks ${d.missing.join(', ')}`,
          ),
        ].join('; ');
  say(`  "screenshot the dashboard" is ${shot.status}: ${closest ?? 'no agent online'}`);

  step('a fourth agent with a display joins: the parked task is picked up at once');
  const operatorImage = hive.startAgent(
    'operator-image',
    'FreeBSD operator image',
    hive.identityDir(
      'operator-image',
      {
        capabilities: ['freebsd', 'gui', 'screenshot', 'image-render', 'python3.11', 'xfce'],
        forceCapabilities: ['freebsd', 'gui', 'screenshot', 'image-render', 'python3.11'],
      },
      {},
    ),
    { COLIBRI_TOKEN: hive.operatorToken },
  );
  await hive.registered(operatorImage);
  const shotDone = await hive.finished(shot.id);
  say(
    `  "screenshot the dashboard" -> ${hive.laneOf(shotDone.assignedAgentId)}: ${hive.describeResult(shotDone)}`,
  );
}
