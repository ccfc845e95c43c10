import type { ShowTaskResponse } from '@colibri/api';
import { BaseCommand } from '../base-command.js';
import { idDisplayFor, taskIdArg, wideFlag } from '../id-flags.js';

export default class ShowTask extends BaseCommand<typeof ShowTask> {
  static override summary = 'Show a task, its history and, while it is parked, why.';
  static override description =
    "The task's fields, every transition from the event log (who, which attempt, why) and, for a parked " +
    'task, the explanation: the tags no eligible online agent offers, each online agent with the tags it ' +
    'lacks (closest first), and a warning for a required tag no agent has ever advertised, with the ' +
    'nearest known spelling (linx → linux).';
  static override examples = [
    '<%= config.bin %> show-task 5f0c6a1e',
    '<%= config.bin %> show-task 5f0c6a1e-… --json',
  ];
  static override args = {
    id: taskIdArg(),
  };
  static override flags = { ...wideFlag };

  async run(): Promise<ShowTaskResponse> {
    const client = await this.client();
    const response = await client.showTask(this.args.id);
    if (!this.jsonEnabled()) {
      const { formatShowTask } = await import('../format/format-show-task.js');
      this.log(formatShowTask(response, await idDisplayFor(client, this.flags.wide, true)));
    }
    return response;
  }
}
