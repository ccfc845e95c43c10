import type { ApiTenant } from '@colibri/api';
import * as Args from '@oclif/core/args';
import { BaseCommand } from '../base-command.js';

export default class ResetTenantCollection extends BaseCommand<typeof ResetTenantCollection> {
  static override summary = "Forget a tenant's cached collection id, accepting a re-created collection.";
  static override description =
    'Operator only. A provision resolves the collection by name once and caches its id; when the name later ' +
    'resolves to another id (the collection was deleted and re-created, or another one was renamed to it) ' +
    'provisioning fails closed with COLIBRI_VAULT_COLLECTION_CHANGED. Check in the vault that the collection ' +
    'now named like the tenant is the right one, then run this: the next provision resolves the name again ' +
    'and caches the new id. The reset is recorded in the event log.';
  static override examples = [
    '<%= config.bin %> reset-tenant-collection acme',
    '<%= config.bin %> reset-tenant-collection acme --json',
  ];
  static override args = {
    tenant: Args.string({ description: 'the tenant name', required: true }),
  };

  async run(): Promise<{ tenant: ApiTenant }> {
    const response = await (await this.client()).resetTenantCollection(this.args.tenant);
    const { tenant } = response;
    this.log(
      tenant.collection === null
        ? `tenant ${tenant.tenant} has no collection (no bucket): there is no collection id to reset`
        : `tenant ${tenant.tenant}: no collection id cached; the next provision resolves collection ${JSON.stringify(tenant.collection)} by name and caches its id`,
    );
    return response;
  }
}
