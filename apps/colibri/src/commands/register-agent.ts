import type { RegisterAgentResponse } from '@colibri/api';
import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../base-command.js';

export default class RegisterAgent extends BaseCommand<typeof RegisterAgent> {
  static override summary = 'Register an agent and the capability tags it advertises; prints its token once.';
  static override description =
    'Registers an agent with the daemon and prints the agent id and its bearer token. The token is shown ' +
    'only this once (the daemon keeps only its hash): hand it to the agent, e.g. as COLIBRI_TOKEN. ' +
    'Registering needs the operator token or a one-time join token for the tenant (see join-token). ' +
    'Parked tasks the new agent can serve are assigned to it at once.';
  static override examples = [
    '<%= config.bin %> register-agent domedog --host domedog --capabilities linux,python3.12,ffmpeg,image-render',
    'COLIBRI_TOKEN=$JOIN_TOKEN <%= config.bin %> register-agent acme-worker --tenant acme --capabilities linux,shell',
    '<%= config.bin %> register-agent osa-screens --capabilities freebsd,screenshot --json',
    '<%= config.bin %> register-agent render-farm --capabilities linux,image-render --slots 8',
  ];
  static override args = {
    name: Args.string({
      description: 'agent name: a lower-case letter, then [a-z0-9-] (it may become a jail name)',
    }),
  };
  static override flags = {
    name: Flags.string({
      description: 'deprecated: pass the name as the argument (register-agent NAME, like spawn-agent NAME)',
      hidden: true,
      deprecated: {
        message:
          'register-agent --name is deprecated and goes away in the next release: pass the name as the argument (colibri register-agent NAME …)',
      },
      helpValue: 'NAME',
    }),
    capabilities: Flags.string({
      description: 'comma-separated capability tags the agent offers, e.g. linux,gpu,image-render',
      required: true,
      helpValue: 'TAGS',
    }),
    host: Flags.string({ description: 'the host the agent runs on (informational)', helpValue: 'HOST' }),
    tenant: Flags.string({
      description:
        'the tenant the agent belongs to; omit for a shared (operator-owned) lane serving every tenant',
      helpValue: 'TENANT',
    }),
    slots: Flags.integer({
      description: 'tasks the agent holds at once: the daemon never gives it more [default: 1]',
      // The upper bound (MAX_AGENT_SLOTS, 10000) is the daemon's to check.
      min: 1,
      helpValue: 'N',
    }),
  };

  async run(): Promise<RegisterAgentResponse> {
    const { parseAgentName, parseTenantName } = await import('@colibri/protocol');
    const { parseCapabilityList } = await import('../parse-capability-list.js');
    const given = this.args.name ?? this.flags.name;
    if (given === undefined || (this.args.name !== undefined && this.flags.name !== undefined)) {
      const { ColibriError } = await import('@colibri/errors');
      throw new ColibriError(
        'COLIBRI_INVALID_INPUT',
        given === undefined
          ? 'register-agent needs the agent name: colibri register-agent NAME --capabilities …'
          : 'give the agent name once: as the argument (register-agent NAME), not also as --name',
      );
    }
    const name = parseAgentName(given);
    const capabilities = parseCapabilityList(this.flags.capabilities);
    const tenant = this.flags.tenant === undefined ? undefined : parseTenantName(this.flags.tenant);
    const client = await this.client();
    const response = await client.registerAgent({
      name,
      capabilities,
      ...(this.flags.host === undefined ? {} : { host: this.flags.host }),
      ...(tenant === undefined ? {} : { tenant }),
      ...(this.flags.slots === undefined ? {} : { slots: this.flags.slots }),
    });
    const { agent } = response;
    this.log(
      `registered agent ${agent.name} (${agent.status}${agent.tenant === null ? ', shared' : `, tenant ${agent.tenant}`}${agent.slots === 1 ? '' : `, ${agent.slots} slots`})`,
    );
    this.log(`agent id  ${agent.id}`);
    this.log(`token     ${response.token}`);
    this.log(
      'The token is shown only once (colibrid keeps only its hash): store it now, e.g. as COLIBRI_TOKEN.',
    );
    return response;
  }
}
