import type { ApiTenant } from '@colibri/api';
import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../base-command.js';

export default class RegisterTenant extends BaseCommand<typeof RegisterTenant> {
  static override summary =
    'Register a tenant: one row tying its name, jail and secrets collection together.';
  static override description =
    'Operator only. By default tenant == jail == collection (1:1:1): the tenant named acme runs in jail acme ' +
    'and its .env comes from the Vaultwarden collection named acme. The tenant starts pending, becomes ' +
    'provisioned once its .env is in place (or it has no bucket), active once its agent is up, and failed when ' +
    'a provision fails; every change lands in its event log (colibri show-tenant). Tenant and jail names are ' +
    'checked before anything is sent: a lower-case letter, then up to 31 of [a-z0-9-].';
  static override examples = [
    '<%= config.bin %> register-tenant acme',
    '<%= config.bin %> register-tenant globex --collection "Tenants/Globex" --jail globex-jail',
    '<%= config.bin %> register-tenant lean --no-collection --json',
  ];
  static override args = {
    tenant: Args.string({
      description: 'the tenant name (also the default jail and collection name)',
      required: true,
    }),
  };
  static override flags = {
    collection: Flags.string({
      description:
        'the Vaultwarden collection its .env comes from, matched by exact name [default: the tenant name]; ' +
        '1-128 characters, no control characters',
      exclusive: ['no-collection'],
      helpValue: 'NAME',
    }),
    'no-collection': Flags.boolean({
      description: 'this tenant has no bucket: provisioning writes no .env and still succeeds',
      exclusive: ['collection'],
    }),
    jail: Flags.string({
      description: 'the jail its agent runs in [default: the tenant name]; same rule as tenant names',
      helpValue: 'NAME',
    }),
  };

  async run(): Promise<{ tenant: ApiTenant }> {
    const { parseCollectionName, parseJailName, parseTenantName } = await import('@colibri/protocol');
    const tenant = parseTenantName(this.args.tenant);
    const jail = this.flags.jail === undefined ? undefined : parseJailName(this.flags.jail);
    const collection = this.flags['no-collection']
      ? null
      : this.flags.collection === undefined
        ? undefined
        : parseCollectionName(this.flags.collection);
    const response = await (await this.client()).registerTenant({
      tenant,
      ...(jail === undefined ? {} : { jail }),
      ...(collection === undefined ? {} : { collection }),
    });
    const { formatTenantLine } = await import('../format/format-tenants.js');
    this.log(`registered ${formatTenantLine(response.tenant)}`);
    this.log(
      response.tenant.collection === null
        ? `next: start its agent with a one-time token (colibri join-token --tenant ${tenant})`
        : `next: provision its .env (colibri provision-tenant ${tenant}), then start its agent with a one-time token (colibri join-token --tenant ${tenant})`,
    );
    return response;
  }
}
