import type { ApiTask } from '@colibri/api';
import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../base-command.js';
import { taskIdArg } from '../id-flags.js';

export default class RetryTask extends BaseCommand<typeof RetryTask> {
  static override summary = 'Put a failed, cancelled or expired task back in line with a new attempt.';
  static override description =
    'The task goes back to parked and is dispatched like a new intake; its attempt count and event log ' +
    'are kept, so its next assignment is a new attempt and a late report of an old attempt is refused ' +
    '(the attempt token). --attempts N gives it N more attempts (its automatic retries and their backoff ' +
    'included). A done task or one still parked, assigned or running is refused (exit 4). Failed tasks ' +
    'are the dead letters: colibri list-tasks --status failed lists them. Operator only.';
  static override examples = [
    '<%= config.bin %> list-tasks --status failed',
    '<%= config.bin %> retry-task 5f0c6a1e-…',
    '<%= config.bin %> retry-task 5f0c6a1e-… --attempts 3 --reason "disk replaced" --json',
  ];
  static override args = {
    id: taskIdArg(),
  };
  static override flags = {
    attempts: Flags.integer({
      description: 'attempts it gets from here, automatic retries included [default: 1]',
      min: 1,
      max: 100,
      helpValue: 'N',
    }),
    reason: Flags.string({
      description: 'why, recorded in the event log [default: retried by the operator]',
      helpValue: 'TEXT',
    }),
  };

  async run(): Promise<{ task: ApiTask }> {
    const { attempts, reason } = this.flags;
    const response = await (await this.client()).retryTask(this.args.id, {
      ...(attempts === undefined ? {} : { attempts }),
      ...(reason === undefined ? {} : { reason }),
    });
    const { task } = response;
    const where =
      task.assignedAgentId === null
        ? 'parked until a capable agent appears'
        : `assigned to ${task.assignedAgentId} (attempt ${task.attempt})`;
    this.log(`task ${task.id} back in line, up to attempt ${task.maxAttempts}: ${where}`);
    return response;
  }
}
