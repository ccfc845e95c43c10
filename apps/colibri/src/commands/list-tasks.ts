import type { ApiTask } from '@colibri/api';
import { TASK_STATUSES } from '@colibri/protocol';
import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../base-command.js';
import { idDisplayFor, wideFlag } from '../id-flags.js';

export default class ListTasks extends BaseCommand<typeof ListTasks> {
  static override summary = 'List tasks with their status, attempt, agent and required tags.';
  static override description =
    'parked = waiting for a capable agent (see show-task for why), assigned/running = with an agent, ' +
    'done/failed/cancelled = finished. ATTEMPT is assignments so far / allowed. Ids are shortened to 8 ' +
    'characters and agents shown by name (--wide: whole ids); every command takes such a prefix back.';
  static override examples = [
    '<%= config.bin %> list-tasks',
    '<%= config.bin %> list-tasks --status parked',
    '<%= config.bin %> list-tasks --tenant acme --limit 20 --json',
  ];
  static override flags = {
    status: Flags.option({ description: 'only tasks with this status', options: TASK_STATUSES })(),
    tenant: Flags.string({ description: "only this tenant's tasks", helpValue: 'TENANT' }),
    limit: Flags.integer({ description: 'at most this many tasks', min: 1, helpValue: 'N' }),
    ...wideFlag,
  };

  async run(): Promise<{ tasks: ApiTask[] }> {
    const { status, tenant, limit } = this.flags;
    const client = await this.client();
    const response = await client.listTasks({
      ...(status === undefined ? {} : { status }),
      ...(tenant === undefined ? {} : { tenant }),
      ...(limit === undefined ? {} : { limit }),
    });
    if (!this.jsonEnabled()) {
      const { formatTaskTable } = await import('../format/format-tasks.js');
      const assigned = response.tasks.some((task) => task.assignedAgentId !== null);
      this.log(formatTaskTable(response.tasks, await idDisplayFor(client, this.flags.wide, assigned)));
    }
    return response;
  }
}
