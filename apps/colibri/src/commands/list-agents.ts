import type { ApiAgent } from '@colibri/api';
import { AGENT_STATUSES } from '@colibri/protocol';
import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../base-command.js';
import { wideFlag } from '../id-flags.js';

export default class ListAgents extends BaseCommand<typeof ListAgents> {
  static override summary = 'List registered agents: status, tenant, load and capability tags.';
  static override description =
    'idle = online with no task, active = online and working, offline = silent past its TTL. A tenant of ' +
    '"-" is a shared (operator-owned) lane that serves every tenant. LOAD is tasks held / slots. Ids are ' +
    'shortened to 8 characters (--wide: whole ids); commands take the name or such a prefix back.';
  static override examples = [
    '<%= config.bin %> list-agents',
    '<%= config.bin %> list-agents --status offline',
    '<%= config.bin %> list-agents --tenant acme --json',
    '<%= config.bin %> list-agents --retired',
  ];
  static override flags = {
    status: Flags.option({ description: 'only agents with this status', options: AGENT_STATUSES })(),
    tenant: Flags.string({ description: "only this tenant's agents", helpValue: 'TENANT' }),
    retired: Flags.boolean({
      description: 'also list retired agents (destroyed for good; their names may be in use again)',
    }),
    ...wideFlag,
  };

  async run(): Promise<{ agents: ApiAgent[] }> {
    const { status, tenant, retired } = this.flags;
    const response = await (await this.client()).listAgents({
      ...(status === undefined ? {} : { status }),
      ...(tenant === undefined ? {} : { tenant }),
      ...(retired === true ? { includeRetired: true } : {}),
    });
    if (!this.jsonEnabled()) {
      const { formatAgentTable } = await import('../format/format-agents.js');
      this.log(
        formatAgentTable(response.agents, new Date(), { wide: this.flags.wide, agentNames: new Map() }),
      );
    }
    return response;
  }
}
