import type { SpawnProgressEvent, SpawnReport } from '@colibri/join';
import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../base-command.js';

const DRIVER = 'DRIVER';
const VAULT = 'VAULT';
const BASTILLE = 'BASTILLE';

export default class SpawnAgent extends BaseCommand<typeof SpawnAgent> {
  static override summary =
    'Join the hive in one step: a jail, its runtime, its .env, and a registered agent running inside.';
  static override description =
    'Operator only, run as root on the jail host. Runs the whole chain with one line per step on stderr: ' +
    "preflight (the host can make jails) → create-jail (the tenant's jail, a dedicated unprivileged user) → " +
    "bootstrap (this colibri version, checked inside the jail as its user) → provision (the tenant's .env from " +
    'the vault, mode 0600, owned by the jail user, with a one-time join token added) → start-agent (run-agent ' +
    'inside, as the jail user) → wait-registered (until the agent registered with its tenant) → activate-tenant. ' +
    'Fail-closed: a failure at any step undoes what this run did (stops the agent, retires a registration, ' +
    'revokes the join token, removes the .env, destroys a jail it created, marks the tenant failed) and lists ' +
    'each undo. Run it again: a healthy agent is left alone (every step skipped, said so); a broken one (stopped, ' +
    'unregistered, other runtime version, tenant not active) is repaired. A jail colibri did not create, or one ' +
    'holding another agent, is never touched. The vault credentials come from the environment only, as for ' +
    'provision-tenant (BW_CLIENTID, BW_CLIENTSECRET, BW_PASSWORD; or --source directory). Exit code: 0 when the ' +
    "agent is in the hive; otherwise the failing step's kind (2 invalid input, 4 conflict such as an existing jail, " +
    '5 unavailable such as the vault or a registration timeout, 77 refused…).';
  static override examples = [
    '<%= config.bin %> spawn-agent acme-agent --jail --tenant acme --capabilities linux,image-render',
    '<%= config.bin %> spawn-agent acme --jail --source directory --secrets-dir /root/secrets --handlers /srv/handlers --json',
    '<%= config.bin %> spawn-agent acme --jail --driver bastille --release 14.3-RELEASE --ip 10.0.0.12 --daemon-url http://10.0.0.1:9190',
  ];
  static override args = {
    name: Args.string({ description: 'the agent name (also the default tenant)', required: true }),
  };
  static override flags = {
    jail: Flags.boolean({
      description: 'run the agent in its own jail (required: only jailed spawns exist in this version)',
    }),
    tenant: Flags.string({
      description: "the registered tenant the agent serves; its jail is the tenant's jail [default: NAME]",
      helpValue: 'TENANT',
    }),
    capabilities: Flags.string({
      description:
        'comma-separated declared capability tags [default: none declared: the agent advertises what its probe finds in the jail]',
      helpValue: 'TAGS',
    }),
    handlers: Flags.string({
      description:
        'a host directory of task handler executables, visible read-only inside the jail [default: <jail home>/handlers]',
      helpValue: 'DIR',
    }),
    'registration-timeout': Flags.integer({
      description: 'how long to wait for the agent to register before rolling back',
      default: 60,
      min: 1,
      max: 3600,
      helpValue: 'SECONDS',
    }),
    'join-token-ttl': Flags.integer({
      description: 'lifetime of the one-time join token put into the .env',
      default: 600,
      min: 60,
      max: 86_400,
      helpValue: 'SECONDS',
    }),
    'daemon-url': Flags.string({
      description:
        'the URL the agent inside dials to reach colibrid (bastille: required, the bridge address the jail can ' +
        "reach) [linux default: this command's own --socket/--url, proxied into the jail; the agent gets no other network]",
      helpValue: 'URL',
    }),
    driver: Flags.option({
      description: 'the jail driver [default: bastille on FreeBSD, linux on Linux]',
      options: ['linux', 'bastille'] as const,
      helpGroup: DRIVER,
    })(),
    'jail-root': Flags.string({
      description:
        'linux: the directory every jail lives in (root-owned, 0711) [env: COLIBRI_JAIL_ROOT; default: /var/lib/colibri-jails]',
      helpGroup: DRIVER,
      helpValue: 'PATH',
    }),
    network: Flags.option({
      description:
        "linux: 'none' (default) gives the agent only loopback and the proxied daemon socket; 'host' shares the host network (weaker)",
      options: ['none', 'host'] as const,
      helpGroup: DRIVER,
    })(),
    'tmp-size': Flags.integer({
      description:
        "linux: the size cap of the sandbox's /tmp and /dev/shm (tmpfs in RAM; the rest of the sandbox's own file system is read-only, the home is a host directory: see the README for its limits) [default: 64]",
      min: 1,
      max: 65_536,
      helpGroup: DRIVER,
      helpValue: 'MIB',
    }),
    'runtime-dir': Flags.string({
      description:
        'linux: another installation root of this colibri version to bind into the jail [default: the one this command runs from]',
      helpGroup: DRIVER,
      helpValue: 'DIR',
    }),
    release: Flags.string({
      description: 'bastille: the pinned, bootstrapped release jails are created from, e.g. 14.3-RELEASE',
      helpGroup: BASTILLE,
      helpValue: 'RELEASE',
    }),
    ip: Flags.string({
      description: "bastille: the jail's address for bastille create (e.g. 10.0.0.12, or inherit)",
      helpGroup: BASTILLE,
      helpValue: 'ADDRESS',
    }),
    'bastille-prefix': Flags.string({
      description: "bastille: bastille's prefix [default: /usr/local/bastille]",
      helpGroup: BASTILLE,
      helpValue: 'PATH',
    }),
    'package-cache': Flags.string({
      description:
        'bastille: host directory of the pinned packages installed offline into the jail [default: /var/cache/colibri/packages]',
      helpGroup: BASTILLE,
      helpValue: 'DIR',
    }),
    'runtime-packages': Flags.string({
      description:
        'bastille: the pinned packages, NAME@VERSION comma-separated, e.g. node20@20.20.2,colibri@0.1.0 [default: colibri@<this version>]',
      helpGroup: BASTILLE,
      helpValue: 'LIST',
    }),
    source: Flags.option({
      description:
        "where the tenant's secrets come from [default: directory with --secrets-dir, else bitwarden]",
      options: ['bitwarden', 'directory'] as const,
      helpGroup: VAULT,
    })(),
    'secrets-dir': Flags.string({
      description:
        "with --source directory: holds <tenant>.env files (KEY='value' lines, mode 0600) [env: COLIBRI_SECRETS_DIR]",
      helpGroup: VAULT,
      helpValue: 'PATH',
    }),
    'vault-server': Flags.string({
      description:
        'the Vaultwarden/Bitwarden server, https only [env: COLIBRI_VAULT_SERVER] (--server: deprecated alias)',
      helpGroup: VAULT,
      helpValue: 'URL',
      aliases: ['server'],
      deprecateAliases: true,
    }),
  };

  async run(): Promise<SpawnReport> {
    const [{ resolveSpawnConfig }, { createJailDriver }, { createClientHivePort }, spawner, join] =
      await Promise.all([
        import('../spawn/resolve-spawn-config.js'),
        import('../spawn/create-jail-driver.js'),
        import('../spawn/client-hive-port.js'),
        import('@colibri/spawner'),
        import('@colibri/join'),
      ]);
    // Nothing this process inherited (an operator's `exec 30<file`, a pipe end, a lock) may reach a
    // jail through the sandboxes it starts; only Node's own IPC channel, if it has one, stays.
    const ipc = Number(process.env.NODE_CHANNEL_FD);
    spawner.closeInheritedDescriptors(Number.isInteger(ipc) ? [ipc] : []);
    const cli = await this.cliConfig();
    const config = resolveSpawnConfig(this.args.name, this.flags, {
      env: process.env,
      cwd: process.cwd(),
      home: cli.home,
      platform: process.platform,
      target: cli.target,
      cliRoot: this.config.root,
      version: this.config.version,
    });
    await this.#checkHandlersDir(config.handlersDir);
    const { checkSecretsDirectory } = await import('../provision/check-secrets-directory.js');
    await checkSecretsDirectory(config.vault);
    const [vault, format] = await Promise.all([import('@colibri/vault'), import('../spawn/format-spawn.js')]);
    const client = await this.client();
    const driver = await createJailDriver(config.driver);
    const human = !this.jsonEnabled();
    const onProgress = (event: SpawnProgressEvent) => {
      if (!human) return;
      if (event.kind === 'step-finished') this.printErr(format.formatStepLine(event.report));
      if (event.kind === 'rollback') this.printErr(format.formatRollbackLine(event.action));
    };
    try {
      const report = await join.spawnJailedAgent({
        driver,
        hive: createClientHivePort(client),
        provision: join.createVaultProvisionEnv({
          source: vault.createSecretSource(config.vault),
          listTenantCollections: async () => (await client.listTenants()).tenants,
          recordOutcome: async ({ tenant, ...record }) => {
            await client.recordProvision(tenant, record);
          },
        }),
        runtime: config.runtime,
        daemon: config.daemon,
        request: {
          agentName: config.agentName,
          tenant: config.tenant,
          capabilities: config.capabilities,
          ...(config.handlersDir === undefined ? {} : { handlersDir: config.handlersDir }),
          ...(config.driver.kind === 'linux' ? { network: config.driver.network } : {}),
        },
        joinTokenTtlSeconds: config.joinTokenTtlSeconds,
        registrationTimeoutMs: config.registrationTimeoutMs,
        onProgress,
      });
      if (human) this.log(format.formatSpawnSummary(report));
      return report;
    } catch (error) {
      if (human) {
        const context = format.formatFailureContext(error);
        if (context !== '') this.printErr(context);
      }
      throw error;
    }
  }

  async #checkHandlersDir(path: string | undefined): Promise<void> {
    if (path === undefined) return;
    const [{ stat }, { ColibriError }] = await Promise.all([
      import('node:fs/promises'),
      import('@colibri/errors'),
    ]);
    const stats = await stat(path).catch(() => undefined);
    if (stats === undefined || !stats.isDirectory()) {
      throw new ColibriError('COLIBRI_INVALID_INPUT', `--handlers ${path} is not a directory`, {
        flag: 'handlers',
      });
    }
  }
}
