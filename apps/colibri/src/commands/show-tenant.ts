import type { ShowTenantResponse } from '@colibri/api';
import * as Args from '@oclif/core/args';
import { BaseCommand } from '../base-command.js';

export default class ShowTenant extends BaseCommand<typeof ShowTenant> {
  static override summary = 'Show a tenant and its event log.';
  static override description =
    "Operator only. The tenant's jail, collection, cached collection id and status, then every change from " +
    'its append-only event log: when it was created, each provision (written, failed and why, a changed ' +
    'collection id), each status change and each reset of the cached collection id.';
  static override examples = [
    '<%= config.bin %> show-tenant acme',
    '<%= config.bin %> show-tenant acme --json',
  ];
  static override args = {
    tenant: Args.string({ description: 'the tenant name', required: true }),
  };

  async run(): Promise<ShowTenantResponse> {
    const response = await (await this.client()).getTenant(this.args.tenant);
    const { formatShowTenant } = await import('../format/format-tenants.js');
    this.log(formatShowTenant(response));
    return response;
  }
}
