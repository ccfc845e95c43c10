import type { ApiTenant } from '@colibri/api';
import { TENANT_STATUSES } from '@colibri/protocol';
import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../base-command.js';

export default class ListTenants extends BaseCommand<typeof ListTenants> {
  static override summary = 'List tenants: status, jail, collection and the cached collection id.';
  static override description =
    'Operator only. pending = registered, not yet provisioned; provisioned = its .env is in place; active = ' +
    'its agent registered; failed = the last provision failed (show-tenant says why). A collection of ' +
    '"- (no bucket)" means the tenant has no secrets; a COLLECTION-ID of "-" means it is resolved from the ' +
    'name at the next provision.';
  static override examples = [
    '<%= config.bin %> list-tenants',
    '<%= config.bin %> list-tenants --status failed',
    '<%= config.bin %> list-tenants --json',
  ];
  static override flags = {
    status: Flags.option({ description: 'only tenants with this status', options: TENANT_STATUSES })(),
  };

  async run(): Promise<{ tenants: ApiTenant[] }> {
    const { status } = this.flags;
    const response = await (await this.client()).listTenants(status === undefined ? {} : { status });
    const { formatTenantTable } = await import('../format/format-tenants.js');
    this.log(formatTenantTable(response.tenants, new Date()));
    return response;
  }
}
