import type { StatusResponse } from '@colibri/api';
import { BaseCommand } from '../base-command.js';

export default class Status extends BaseCommand<typeof Status> {
  static override summary = 'Check the daemon is reachable; show its version, store driver and counts.';
  static override description =
    'Exits 0 when colibrid answers, 5 (unavailable) naming the socket or URL it tried when it does not, ' +
    'so scripts and health checks can branch on it.';
  static override examples = [
    '<%= config.bin %> status',
    '<%= config.bin %> status --url http://100.64.0.1:9190',
    '<%= config.bin %> status --json',
  ];

  async run(): Promise<StatusResponse> {
    const response = await (await this.client()).status();
    const [{ formatStatus }, { describeTarget }] = await Promise.all([
      import('../format/format-status.js'),
      import('../describe-config.js'),
    ]);
    this.log(formatStatus(response, describeTarget((await this.cliConfig()).target)));
    return response;
  }
}
