import type { ApiTask, TransitionTaskRequest } from '@colibri/api';
import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../base-command.js';
import { taskIdArg } from '../id-flags.js';

const TARGETS = ['running', 'done', 'failed', 'cancelled', 'parked'] as const;

export default class TransitionTask extends BaseCommand<typeof TransitionTask> {
  static override summary = 'Move a task on: running, done, failed, cancelled, or back to parked.';
  static override description =
    'Agents report progress with their own token and the attempt they were given (the fencing token): a ' +
    'late report from an agent whose lease was taken away is refused (exit 4), never double-counted. ' +
    'Operators may cancel any unfinished task or hand an assigned/running one back to the queue (--to parked). ' +
    'Legal moves: parked → cancelled; assigned → running|done|failed|cancelled|parked; ' +
    'running → done|failed|cancelled|parked.';
  static override examples = [
    'COLIBRI_TOKEN=$AGENT_TOKEN <%= config.bin %> transition-task 5f0c6a1e-… --to running --attempt 1',
    'COLIBRI_TOKEN=$AGENT_TOKEN <%= config.bin %> transition-task 5f0c6a1e-… --to done --attempt 1 --result \'{"thumbnails":12}\'',
    'COLIBRI_TOKEN=$AGENT_TOKEN <%= config.bin %> transition-task 5f0c6a1e-… --to failed --attempt 1 --error "ffmpeg exited 1"',
    '<%= config.bin %> transition-task 5f0c6a1e-… --to cancelled --reason "no longer needed"',
  ];
  static override args = {
    id: taskIdArg(),
  };
  static override flags = {
    to: Flags.option({ description: 'the new status', options: TARGETS, required: true })(),
    attempt: Flags.integer({
      description: 'the attempt this agent was given (from poll); required when an agent reports',
      min: 1,
      helpValue: 'N',
    }),
    result: Flags.string({ description: 'JSON result, with --to done', helpValue: 'JSON' }),
    error: Flags.string({ description: 'what went wrong, with --to failed', helpValue: 'TEXT' }),
    reason: Flags.string({ description: 'why, recorded in the event log', helpValue: 'TEXT' }),
  };

  async run(): Promise<{ task: ApiTask }> {
    const { flags } = this;
    let result: unknown;
    if (flags.result !== undefined) {
      const { parseJsonFlag } = await import('../parse-json-flag.js');
      result = parseJsonFlag('result', flags.result);
    }
    const request: TransitionTaskRequest = {
      to: flags.to,
      ...(flags.attempt === undefined ? {} : { attempt: flags.attempt }),
      ...(flags.result === undefined ? {} : { result }),
      ...(flags.error === undefined ? {} : { error: flags.error }),
      ...(flags.reason === undefined ? {} : { reason: flags.reason }),
    };
    const response = await (await this.client()).transitionTask(this.args.id, request);
    const { formatTransition } = await import('../format/format-tasks.js');
    this.log(formatTransition(response.task));
    return response;
  }
}
