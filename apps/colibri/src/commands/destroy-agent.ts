import type { DestroyReport, SpawnProgressEvent } from '@colibri/join';
import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../base-command.js';

const DRIVER = 'DRIVER';

export default class DestroyAgent extends BaseCommand<typeof DestroyAgent> {
  static override summary = 'Tear a jailed agent down: retire it, stop it, destroy its jail and .env.';
  static override description =
    'Operator only, run as root on the jail host. One line per step on stderr: retire-agent (its token is ' +
    'refused from now on, its unfinished tasks are handed back, its name is free again) → stop-agent → ' +
    'destroy-jail (the jail with its home and .env) → tenant-status (the tenant goes back to pending: no jail, ' +
    'no .env; spawn-agent can start over). A jail colibri did not create, or one holding another agent, is ' +
    'refused and left alone. Running it again finds nothing and says so (outcome absent). The tenant is ' +
    "--tenant, else the registered agent's tenant, else NAME.";
  static override examples = [
    '<%= config.bin %> destroy-agent acme-agent',
    '<%= config.bin %> destroy-agent acme-agent --tenant acme --jail-root /var/lib/colibri/jails --json',
  ];
  static override args = {
    name: Args.string({ description: 'the agent name', required: true }),
  };
  static override flags = {
    tenant: Flags.string({
      description:
        "the agent's tenant (whose jail holds it) [default: the registered agent's tenant, else NAME]",
      helpValue: 'TENANT',
    }),
    driver: Flags.option({
      description: 'the jail driver [default: bastille on FreeBSD, linux on Linux]',
      options: ['linux', 'bastille'] as const,
      helpGroup: DRIVER,
    })(),
    'jail-root': Flags.string({
      description:
        'linux: the directory every jail lives in [env: COLIBRI_JAIL_ROOT; default: /var/lib/colibri-jails]',
      helpGroup: DRIVER,
      helpValue: 'PATH',
    }),
    'bastille-prefix': Flags.string({
      description: "bastille: bastille's prefix [default: /usr/local/bastille]",
      helpGroup: DRIVER,
      helpValue: 'PATH',
    }),
  };

  async run(): Promise<DestroyReport> {
    const [
      { parseAgentName, parseTenantName },
      { resolveDriverConfig },
      { createJailDriver },
      { createClientHivePort },
    ] = await Promise.all([
      import('@colibri/protocol'),
      import('../spawn/resolve-spawn-config.js'),
      import('../spawn/create-jail-driver.js'),
      import('../spawn/client-hive-port.js'),
    ]);
    const agentName = parseAgentName(this.args.name);
    const cli = await this.cliConfig();
    const driverConfig = resolveDriverConfig(
      this.flags,
      { env: process.env, cwd: process.cwd(), home: cli.home, platform: process.platform },
      'destroy',
    );
    const client = await this.client();
    const hive = createClientHivePort(client);
    const tenant =
      this.flags.tenant === undefined
        ? await (await import('../spawn/resolve-destroy-tenant.js')).resolveDestroyTenant(client, agentName)
        : parseTenantName(this.flags.tenant);
    const [join, format] = await Promise.all([import('@colibri/join'), import('../spawn/format-spawn.js')]);
    const human = !this.jsonEnabled();
    const onProgress = (event: SpawnProgressEvent) => {
      if (human && event.kind === 'step-finished') this.printErr(format.formatStepLine(event.report));
    };
    const report = await join.destroyJailedAgent({
      driver: await createJailDriver(driverConfig),
      hive,
      agentName,
      tenant,
      onProgress,
    });
    if (human) this.log(format.formatDestroySummary(report));
    return report;
  }
}
