import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../base-command.js';
import type { BridgePlan } from '../bridge-plan.js';

export default class Bridge extends BaseCommand<typeof Bridge> {
  static override summary =
    "Print (or run) the socat bridge that puts the daemon's socket on one tailnet address.";
  static override description =
    "Other hosts reach colibrid through a TCP bridge bound to the hub's tailnet address only. This " +
    'prints the exact socat command, the rc.conf lines for the colibri_bridge rc.d script and the ' +
    'environment file for the colibri-bridge systemd unit. With --start it runs socat in the foreground ' +
    'until SIGTERM/SIGINT. Every request through the bridge still needs an agent or operator token. ' +
    'Open the port in the firewall on the tailnet interface only.';
  static override examples = [
    '<%= config.bin %> bridge --address 100.64.0.1',
    '<%= config.bin %> bridge --address "$(tailscale ip -4)" --port 9190 --start',
  ];
  static override flags = {
    address: Flags.string({
      description:
        "the IP address to listen on: this host's tailnet address (tailscale ip -4); 0.0.0.0/:: need --force",
      required: true,
      helpValue: 'IP',
    }),
    port: Flags.integer({ description: 'the TCP port', default: 9190, helpValue: 'PORT' }),
    force: Flags.boolean({
      description:
        'allow an every-interface address (0.0.0.0, ::): the daemon becomes reachable from every network',
      default: false,
    }),
    start: Flags.boolean({
      description: 'run socat now, in the foreground, instead of printing the configuration',
      default: false,
    }),
  };

  async run(): Promise<BridgePlan & { exitCode?: number }> {
    const [{ planBridge }, { networkInterfaces }] = await Promise.all([
      import('../bridge-plan.js'),
      import('node:os'),
    ]);
    const config = await this.cliConfig();
    if (config.target.kind !== 'socket') {
      this.error('the bridge forwards to the local Unix socket: use --home or --socket, not --url', {
        exit: 2,
      });
    }
    const localAddresses = Object.values(networkInterfaces())
      .flat()
      .flatMap((entry) => (entry === undefined ? [] : [entry.address]));
    const plan = planBridge({
      address: this.flags.address,
      port: this.flags.port,
      socketPath: config.target.socketPath,
      force: this.flags.force,
      localAddresses,
    });
    for (const warning of plan.warnings) this.warnLine(warning);
    if (!this.flags.start) {
      this.log(`# run by hand:\n${plan.command}\n`);
      this.log(
        `# FreeBSD /etc/rc.conf (packaging/freebsd/rc.d/colibri_bridge):\n${plan.rcConf.join('\n')}\n`,
      );
      this.log(
        `# Linux /etc/colibri/bridge.env (packaging/linux/systemd/colibri-bridge.service):\n${plan.systemdEnv.join('\n')}`,
      );
      return plan;
    }
    const exitCode = await this.#runSocat(plan);
    if (exitCode !== 0) this.exit(exitCode === 127 ? 5 : exitCode);
    return { ...plan, exitCode };
  }

  async #runSocat(plan: BridgePlan): Promise<number> {
    const { spawn } = await import('node:child_process');
    const child = spawn('socat', [...plan.socatArgs], { stdio: ['ignore', 'inherit', 'inherit'] });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGTERM', forward);
    process.on('SIGINT', forward);
    if (!this.jsonEnabled()) {
      this.printErr(
        `colibri: bridge ${plan.address}:${plan.port} -> ${plan.socketPath} (socat pid ${child.pid})`,
      );
    }
    return new Promise((resolve) => {
      child.on('error', (error) => {
        this.printErr(
          `colibri: cannot run socat (${error.message}): install it (apt-get install socat / pkg install socat)`,
        );
        resolve(127);
      });
      child.on('exit', (code, signal) => {
        process.off('SIGTERM', forward);
        process.off('SIGINT', forward);
        resolve(signal === 'SIGTERM' || signal === 'SIGINT' ? 0 : (code ?? 1));
      });
    });
  }
}
