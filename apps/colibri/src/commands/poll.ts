import type { PollResponse } from '@colibri/api';
import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../base-command.js';
import { MAX_POLL_WAIT_SECONDS } from '../flag-limits.js';
import { AGENT_REF_DESCRIPTION } from '../id-flags.js';

export default class Poll extends BaseCommand<typeof Poll> {
  static override summary = "List an agent's assigned and running tasks, optionally waiting for one.";
  static override description =
    'What the agent should work on: each task with its id, title, attempt (report it back with ' +
    'transition-task --attempt) and payload. With --wait the daemon holds the request until a task is ' +
    'assigned or the wait runs out, so dispatch takes milliseconds instead of a polling interval. ' +
    'An agent token may poll only its own agent.';
  static override examples = [
    'COLIBRI_TOKEN=$AGENT_TOKEN <%= config.bin %> poll --agent 0b6e0d3c-…',
    'COLIBRI_TOKEN=$AGENT_TOKEN <%= config.bin %> poll --agent 0b6e0d3c-… --wait 30 --json',
  ];
  static override flags = {
    agent: Flags.string({
      description: `the agent: ${AGENT_REF_DESCRIPTION}`,
      required: true,
      helpValue: 'ID|NAME',
    }),
    wait: Flags.integer({
      description: `seconds to wait for an assigned task before returning an empty list [default: 0, at most ${MAX_POLL_WAIT_SECONDS}]`,
      min: 0,
      max: MAX_POLL_WAIT_SECONDS,
      helpValue: 'SECONDS',
    }),
  };

  async run(): Promise<PollResponse> {
    const { agent, wait } = this.flags;
    const response = await (await this.client()).poll(agent, wait === undefined ? {} : { waitSeconds: wait });
    const { formatPolledTasks } = await import('../format/format-tasks.js');
    this.log(formatPolledTasks(agent, response.tasks));
    return response;
  }
}
