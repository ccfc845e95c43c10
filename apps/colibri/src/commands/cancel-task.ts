import type { ApiTask } from '@colibri/api';
import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../base-command.js';
import { taskIdArg } from '../id-flags.js';

export default class CancelTask extends BaseCommand<typeof CancelTask> {
  static override summary = 'Cancel a task; a running handler is killed within about a second.';
  static override description =
    'A parked task is cancelled at once. An assigned or running one is cancelled in the store first; its ' +
    "agent's open long poll answers right away, the agent kills the handler's whole process group, and " +
    'its late report (if the handler finished meanwhile) is refused by the attempt token. Cancelling a ' +
    'finished task is refused (exit 4). `colibri retry-task` puts a cancelled task back in line.';
  static override examples = [
    '<%= config.bin %> cancel-task 5f0c6a1e-…',
    '<%= config.bin %> cancel-task 5f0c6a1e-… --reason "no longer needed" --json',
  ];
  static override args = {
    id: taskIdArg(),
  };
  static override flags = {
    reason: Flags.string({
      description: 'why, recorded in the event log [default: cancelled by the operator]',
      helpValue: 'TEXT',
    }),
  };

  async run(): Promise<{ task: ApiTask }> {
    const reason = this.flags.reason ?? 'cancelled by the operator';
    const response = await (await this.client()).transitionTask(this.args.id, { to: 'cancelled', reason });
    this.log(`task ${response.task.id} cancelled (attempt ${response.task.attempt}): ${reason}`);
    return response;
  }
}
