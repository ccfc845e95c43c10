import type { PruneResponse } from '@colibri/api';
import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../base-command.js';

export default class Prune extends BaseCommand<typeof Prune> {
  static override summary = 'Delete finished tasks older than a cutoff, with their event logs.';
  static override description =
    'Deletes done, failed, cancelled and expired tasks that finished longer ago than --older-than, and their ' +
    'event logs, in small batches that never hold up dispatch. Parked, assigned and running tasks are never ' +
    'touched, however old. --dry-run only counts what would go. Operator only. colibrid --retain DUR does the ' +
    'same on its own, continuously; /metrics counts the rows pruned (colibri_pruned_rows_total).';
  static override examples = [
    '<%= config.bin %> prune --older-than 7d --dry-run',
    '<%= config.bin %> prune --older-than 30d --json',
  ];
  static override flags = {
    'older-than': Flags.string({
      description: 'prune tasks that finished longer ago than DUR, e.g. 12h, 7d, 30d (at least 1s)',
      required: true,
      helpValue: 'DUR',
    }),
    'dry-run': Flags.boolean({ description: 'count what would be pruned; delete nothing' }),
  };

  async run(): Promise<PruneResponse> {
    const { parseDurationFlag } = await import('../parse-duration-flag.js');
    const olderThanSeconds = parseDurationFlag('older-than', this.flags['older-than']);
    const dryRun = this.flags['dry-run'];
    const response = await (await this.client()).prune({ olderThanSeconds, dryRun });
    const what = `${response.tasks} finished task${response.tasks === 1 ? '' : 's'} and ${response.events} event${response.events === 1 ? '' : 's'}`;
    this.log(
      dryRun
        ? `would prune ${what} (finished before ${response.finishedBefore}); nothing deleted (--dry-run)`
        : `pruned ${what} (finished before ${response.finishedBefore})`,
    );
    return response;
  }
}
