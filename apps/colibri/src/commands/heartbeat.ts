import type { ApiAgent } from '@colibri/api';
import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../base-command.js';
import { AGENT_REF_DESCRIPTION } from '../id-flags.js';

export default class Heartbeat extends BaseCommand<typeof Heartbeat> {
  static override summary = 'Tell the daemon an agent is alive.';
  static override description =
    'An agent silent past its TTL goes offline and its unfinished tasks are re-queued; heartbeats keep it ' +
    'online (and bring an offline agent back, which re-examines parked tasks). An agent token may ' +
    'heartbeat only its own agent.';
  static override examples = ['COLIBRI_TOKEN=$AGENT_TOKEN <%= config.bin %> heartbeat --agent 0b6e0d3c-…'];
  static override flags = {
    agent: Flags.string({
      description: `the agent: ${AGENT_REF_DESCRIPTION}`,
      required: true,
      helpValue: 'ID|NAME',
    }),
  };

  async run(): Promise<{ agent: ApiAgent }> {
    const response = await (await this.client()).heartbeat(this.flags.agent);
    const { formatAgentLine } = await import('../format/format-agents.js');
    this.log(formatAgentLine(response.agent, new Date()));
    return response;
  }
}
