// The last part: every task from the store (all must be done), then SIGTERM — every agent
// drains and goes offline.
import { say, step } from './hive.mjs';

export const name = 'summary';

export async function run(hive) {
  step('every task, from the store');
  const { tasks } = await hive.operator.listTasks({ limit: 50 });
  for (const task of tasks) {
    say(
      `  ${task.status.padEnd(9)} ${task.title.padEnd(28)} ${(task.tenant ?? 'shared').padEnd(7)} -> ${hive.laneOf(task.assignedAgentId)} (attempt ${task.attempt})`,
    );
    if (task.status !== 'done') hive.failed = true;
  }

  step('SIGTERM: every agent drains and goes offline');
  for (const agent of hive.agents) agent.child.kill('SIGTERM');
  for (const agent of hive.agents) {
    const code = await agent.exited;
    say(`  ${agent.name.padEnd(15)} exited ${code}`);
    if (code !== 0) {
      hive.failed = true;
      process.stderr.write(agent.stderr);
    }
  }
  const { agents: fleet } = await hive.operator.listAgents();
  say(`  agents offline: ${fleet.filter((a) => a.status === 'offline').length} of ${fleet.length}`);
}
