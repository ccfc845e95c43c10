import type { JoinTokenResponse } from '@colibri/api';
import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../base-command.js';
import { MAX_JOIN_TOKEN_TTL_SECONDS } from '../flag-limits.js';

export default class JoinToken extends BaseCommand<typeof JoinToken> {
  static override summary = 'Issue a one-time token that registers one agent of a tenant.';
  static override description =
    "Operator only. The token lets exactly one register-agent call succeed, for this tenant's agent only, " +
    'until it expires; it is shown only once. Hand it to the jail being provisioned instead of the operator token.';
  static override examples = [
    '<%= config.bin %> join-token --tenant acme',
    '<%= config.bin %> join-token --tenant acme --ttl 600 --json',
  ];
  static override flags = {
    tenant: Flags.string({
      description: 'the tenant (= jail = collection name) the agent will belong to',
      required: true,
      helpValue: 'TENANT',
    }),
    ttl: Flags.integer({
      description: `seconds the token stays valid [default: 3600, at most ${MAX_JOIN_TOKEN_TTL_SECONDS}]`,
      min: 1,
      max: MAX_JOIN_TOKEN_TTL_SECONDS,
      helpValue: 'SECONDS',
    }),
  };

  async run(): Promise<JoinTokenResponse> {
    const { parseTenantName } = await import('@colibri/protocol');
    const tenant = parseTenantName(this.flags.tenant);
    const response = await (await this.client()).createJoinToken({
      tenant,
      ...(this.flags.ttl === undefined ? {} : { ttlSeconds: this.flags.ttl }),
    });
    this.log(`join token for tenant ${response.tenant}, valid until ${response.expiresAt}:`);
    this.log(response.token);
    this.log(
      `It is shown only once and registers one agent: COLIBRI_TOKEN=<token> colibri register-agent --tenant ${response.tenant} --name … --capabilities …`,
    );
    return response;
  }
}
