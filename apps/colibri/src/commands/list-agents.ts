import type { ApiAgent } from '@colibri/client';
import { AGENT_STATUSES } from '@colibri/protocol';
import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../base-command.js';

export default class ListAgents extends BaseCommand<typeof ListAgents> {
  static override summary = 'List registered agents: status, tenant, load and capability tags.';
  static override description =
    'idle = online with no task, active = online and working, offline = silent past its TTL. A tenant of ' +
    '"-" is a shared (operator-owned) lane that serves every tenant.';
  static override examples = [
    '<%= config.bin %> list-agents',
    '<%= config.bin %> list-agents --status offline',
    '<%= config.bin %> list-agents --tenant acme --json',
  ];
  static override flags = {
    status: Flags.option({ description: 'only agents with this status', options: AGENT_STATUSES })(),
    tenant: Flags.string({ description: "only this tenant's agents", helpValue: 'TENANT' }),
  };

  async run(): Promise<{ agents: ApiAgent[] }> {
    const { status, tenant } = this.flags;
    const response = await (await this.client()).listAgents({
      ...(status === undefined ? {} : { status }),
      ...(tenant === undefined ? {} : { tenant }),
    });
    const { formatAgentTable } = await import('../format/format-agents.js');
    this.log(formatAgentTable(response.agents, new Date()));
    return response;
  }
}
