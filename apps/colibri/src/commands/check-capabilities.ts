import * as Args from '@oclif/core/args';
import { BaseCommand } from '../base-command.js';

export default class CheckCapabilities extends BaseCommand<typeof CheckCapabilities> {
  static override summary = 'Check a comma-separated capability list against the tag rules.';
  static override description =
    'Tags are lower-case, start with [a-z0-9], then up to 63 of [a-z0-9._+-], and are matched exactly ' +
    '(no hierarchy). A list may not repeat a tag. Exits 2 naming the first bad tag. Works offline: ' +
    'it does not contact the daemon.';
  static override examples = ['<%= config.bin %> check-capabilities linux,python3.12,image-render'];
  static override args = {
    tags: Args.string({ description: 'comma-separated tags, e.g. linux,gpu', required: true }),
  };

  async run(): Promise<{ capabilities: readonly string[] }> {
    const { parseCapabilities } = await import('@colibri/protocol');
    const tags = this.args.tags === '' ? [] : this.args.tags.split(',').map((tag) => tag.trim());
    const capabilities = parseCapabilities(tags);
    this.log(capabilities.length === 0 ? 'no tags (matches any online agent)' : capabilities.join(' '));
    return { capabilities };
  }
}
