import type { IntakeTaskResponse } from '@colibri/client';
import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../base-command.js';

export default class IntakeTask extends BaseCommand<typeof IntakeTask> {
  static override summary = 'Submit a task; it is assigned to the best-fitting online agent or parked.';
  static override description =
    'The task goes at once to the online agent that has ALL the required tags (exact match) and the ' +
    'fewest extra ones. With no such agent it is parked, never failed, and assigned the moment a capable ' +
    'agent registers or comes back. A tag no agent has ever advertised still parks, with a warning and ' +
    'the nearest known spelling. Without --tenant the task may only use shared agents.';
  static override examples = [
    '<%= config.bin %> intake-task --title "render thumbnails" --capabilities image-render',
    '<%= config.bin %> intake-task --title "screenshot the board" --capabilities screenshot --payload \'{"url":"https://example.org"}\'',
    '<%= config.bin %> intake-task --title "nightly build" --capabilities linux,rust --priority 5 --tenant acme --json',
    '<%= config.bin %> intake-task --title "anything will do" --capabilities ""',
  ];
  static override flags = {
    title: Flags.string({ description: 'what the task is, for people', required: true, helpValue: 'TEXT' }),
    capabilities: Flags.string({
      description:
        'comma-separated tags the agent must ALL have, e.g. linux,image-render ("" = any online agent)',
      required: true,
      helpValue: 'TAGS',
    }),
    payload: Flags.string({
      description: 'JSON handed to the agent, e.g. \'{"url":"https://example.org"}\'',
      helpValue: 'JSON',
    }),
    priority: Flags.integer({
      description: 'higher runs first among parked tasks [default: 0]',
      helpValue: 'N',
    }),
    tenant: Flags.string({
      description: "the tenant that owns the task; it may use that tenant's agents and shared ones",
      helpValue: 'TENANT',
    }),
    'max-attempts': Flags.integer({
      description: 'assignments allowed before the task fails (an agent going offline costs one)',
      min: 1,
      helpValue: 'N',
    }),
  };

  async run(): Promise<IntakeTaskResponse> {
    const { parseTenantName } = await import('@colibri/protocol');
    const { parseCapabilityList } = await import('../parse-capability-list.js');
    const { parseJsonFlag } = await import('../parse-json-flag.js');
    const { flags } = this;
    const requiredCapabilities = parseCapabilityList(flags.capabilities);
    const payload = flags.payload === undefined ? undefined : parseJsonFlag('payload', flags.payload);
    const tenant = flags.tenant === undefined ? undefined : parseTenantName(flags.tenant);
    const client = await this.client();
    const response = await client.intakeTask({
      title: flags.title,
      requiredCapabilities,
      ...(payload === undefined ? {} : { payload }),
      ...(flags.priority === undefined ? {} : { priority: flags.priority }),
      ...(tenant === undefined ? {} : { tenant }),
      ...(flags['max-attempts'] === undefined ? {} : { maxAttempts: flags['max-attempts'] }),
    });
    if (this.jsonEnabled()) return response;

    for (const warning of response.warnings) this.warnLine(warning);
    const { task, assignedTo } = response;
    if (assignedTo !== null) {
      this.log(`task ${task.id} assigned to ${assignedTo.name} (${assignedTo.id})`);
    } else if (task.status === 'parked') {
      this.log(`task ${task.id} parked: ${await this.#whyParked(task.id)}`);
    } else {
      this.log(`task ${task.id} is ${task.status}`);
    }
    return response;
  }

  /** One clause on why the task waits; a second request, so only in human mode and never fatal. */
  async #whyParked(taskId: string): Promise<string> {
    const later = `it is assigned as soon as a capable agent appears (colibri show-task ${taskId} explains)`;
    try {
      const { parked } = await (await this.client()).showTask(taskId);
      if (parked === undefined) return later;
      const { briefParkedReason } = await import('../format/format-parked-reason.js');
      return `${briefParkedReason(parked)}; ${later}`;
    } catch {
      return later;
    }
  }
}
