import type { ApiTask } from '@colibri/api';
import { TASK_STATUSES } from '@colibri/protocol';
import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../base-command.js';

export default class ListTasks extends BaseCommand<typeof ListTasks> {
  static override summary = 'List tasks with their status, attempt, agent and required tags.';
  static override description =
    'parked = waiting for a capable agent (see show-task for why), assigned/running = with an agent, ' +
    'done/failed/cancelled = finished. ATTEMPT is assignments so far / allowed.';
  static override examples = [
    '<%= config.bin %> list-tasks',
    '<%= config.bin %> list-tasks --status parked',
    '<%= config.bin %> list-tasks --tenant acme --limit 20 --json',
  ];
  static override flags = {
    status: Flags.option({ description: 'only tasks with this status', options: TASK_STATUSES })(),
    tenant: Flags.string({ description: "only this tenant's tasks", helpValue: 'TENANT' }),
    limit: Flags.integer({ description: 'at most this many tasks', min: 1, helpValue: 'N' }),
  };

  async run(): Promise<{ tasks: ApiTask[] }> {
    const { status, tenant, limit } = this.flags;
    const response = await (await this.client()).listTasks({
      ...(status === undefined ? {} : { status }),
      ...(tenant === undefined ? {} : { tenant }),
      ...(limit === undefined ? {} : { limit }),
    });
    const { formatTaskTable } = await import('../format/format-tasks.js');
    this.log(formatTaskTable(response.tasks));
    return response;
  }
}
