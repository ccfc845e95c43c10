import type { ApiTenant } from '@colibri/api';
import type { ColibriClient } from '@colibri/client';
import type { ProvisionProgressEvent, ProvisionResult } from '@colibri/vault';
import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../base-command.js';

/** The longest reason the daemon's event log takes. */
const MAX_REASON = 1000;

export default class ProvisionTenant extends BaseCommand<typeof ProvisionTenant> {
  static override summary =
    "Write a tenant's .env (mode 0600, owned by its jail user) from its secrets collection.";
  static override description =
    "Operator only, run as root on the jail host. Fetches the tenant's secrets (Bitwarden/Vaultwarden through the " +
    "pinned bw CLI, or <dir>/<tenant>.env files with --source directory), renders one KEY='value' line per " +
    "secret and writes the jail user's .env atomically (linux: <jail-root>/<jail>/home/agent/.env; bastille: " +
    '<jail-root>/<jail>/root/home/agent/.env with --jail-root the bastille jails directory), never through a ' +
    "symlink, never outside the jail root, owned by the jail user of that jail (from colibri's record of it, " +
    "else the jail home's owner); an identical file is left alone (unchanged). The outcome and the resolved collection id are " +
    'recorded with colibrid (colibri show-tenant). The vault credentials come from the environment ONLY: ' +
    "BW_CLIENTID and BW_CLIENTSECRET (the service-account user's personal API key) and BW_PASSWORD (its master " +
    'password); bw keeps its state in $COLIBRI_HOME/bw (0700); NODE_EXTRA_CA_CERTS is passed to bw when set. ' +
    'With --all, the vault is unlocked and synced once for every tenant and one line per tenant goes to stderr. ' +
    "Exit code: 0 when no tenant failed; when all failures are of one kind, that kind's usual code (2 invalid " +
    'input, 4 conflict, 5 unavailable, 77 refused…); failures of several kinds exit 1.';
  static override examples = [
    'BW_CLIENTID=user.… BW_CLIENTSECRET=… BW_PASSWORD=… <%= config.bin %> provision-tenant acme --vault-server https://vault.example.org',
    '<%= config.bin %> provision-tenant --all --driver bastille --jail-root /usr/local/bastille/jails',
    '<%= config.bin %> provision-tenant acme --source directory --secrets-dir ./demo-secrets --jail-home /srv/jails/acme/home/agent --owner 1001:1001 --json',
  ];
  static override args = {
    tenant: Args.string({ description: 'the tenant to provision (or --all)', required: false }),
  };
  static override flags = {
    all: Flags.boolean({ description: 'provision every registered tenant in one batch' }),
    driver: Flags.option({
      description:
        "whose layout the jails have: where a jail's home and record are [default: bastille on FreeBSD, linux on Linux]",
      options: ['linux', 'bastille'] as const,
    })(),
    'jail-root': Flags.string({
      description:
        'the directory every jail lives in; every jail home must be inside it [env: COLIBRI_JAIL_ROOT; default: ' +
        '/var/lib/colibri-jails (linux), /usr/local/bastille/jails (bastille)]',
      helpValue: 'PATH',
    }),
    'jail-home': Flags.string({
      description:
        "the jail user's home that receives .env (one TENANT only) [default: linux <jail-root>/<jail>/home/agent, " +
        'bastille <jail-root>/<jail>/root/home/agent]',
      helpValue: 'PATH',
    }),
    owner: Flags.string({
      description:
        "the .env owner [default: the jail user from colibri's record of the jail, else the jail home's owner; a " +
        "root-owned home needs --owner 0:0]. With --all it is refused unless every tenant's jail user is that owner " +
        "(each tenant's .env belongs to its own jail user)",
      helpValue: 'UID:GID',
    }),
    source: Flags.option({
      description: 'where the secrets come from [default: directory with --secrets-dir, else bitwarden]',
      options: ['bitwarden', 'directory'] as const,
    })(),
    'secrets-dir': Flags.string({
      description:
        "with --source directory: holds <tenant>.env files (KEY='value' lines, mode 0600) [env: COLIBRI_SECRETS_DIR]",
      helpValue: 'PATH',
    }),
    'vault-server': Flags.string({
      description:
        'the Vaultwarden/Bitwarden server, https only [env: COLIBRI_VAULT_SERVER] (--server: deprecated alias)',
      helpValue: 'URL',
      aliases: ['server'],
      deprecateAliases: true,
    }),
  };

  async run(): Promise<ProvisionResult[]> {
    const [{ ColibriError }, { resolveProvisionConfig }, { planProvision }] = await Promise.all([
      import('@colibri/errors'),
      import('../provision/resolve-provision-config.js'),
      import('../provision/plan-provision.js'),
    ]);
    const tenantArg = this.args.tenant;
    if ((tenantArg === undefined) === (this.flags.all !== true)) {
      throw new ColibriError('COLIBRI_INVALID_INPUT', 'give one TENANT or --all (not both)', { flag: 'all' });
    }
    const config = resolveProvisionConfig(this.flags, {
      env: process.env,
      cwd: process.cwd(),
      home: (await this.cliConfig()).home,
      singleTenant: tenantArg !== undefined,
      platform: process.platform,
    });
    const { checkSecretsDirectory } = await import('../provision/check-secrets-directory.js');
    await checkSecretsDirectory(config.source);
    const client = await this.client();
    let tenants: readonly ApiTenant[];
    if (tenantArg !== undefined) {
      const { parseTenantName } = await import('@colibri/protocol');
      tenants = [(await client.getTenant(parseTenantName(tenantArg))).tenant];
    } else {
      tenants = (await client.listTenants()).tenants;
    }
    if (tenants.length === 0) {
      this.log('no tenants registered (colibri register-tenant NAME)');
      return [];
    }

    const [vault, format, fs, { readJailOwner }] = await Promise.all([
      import('@colibri/vault'),
      import('../format/format-provision.js'),
      import('node:fs/promises'),
      import('@colibri/spawner'),
    ]);
    const plans = await planProvision(
      tenants,
      config,
      async (path) => {
        const stats = await fs.lstat(path).catch(() => undefined);
        return stats === undefined ? undefined : { uid: stats.uid, gid: stats.gid };
      },
      (jail) => readJailOwner(config.layout, config.jailRoot, jail),
    );
    const batch = tenants.length > 1;
    const fetched = new Map<string, number>();
    const progress = (event: ProvisionProgressEvent) => {
      const line = format.formatProvisionProgress(event, fetched);
      if (line !== undefined) this.printErr(this.#scrub(line));
    };
    const onProgress = batch && !this.jsonEnabled() ? progress : undefined;
    for (const plan of plans) {
      if ('refused' in plan)
        onProgress?.({ kind: 'tenant-provisioned', result: plan.refused, durationMs: 0 });
    }

    const provisioned = await vault.provisionTenants({
      source: vault.createSecretSource(config.source),
      allowedRoot: config.jailRoot,
      tenants: plans.flatMap((plan) => ('target' in plan ? [plan.target] : [])),
      ...(onProgress === undefined ? {} : { onProgress }),
      onCollectionResolved: (tenantId, collectionId) =>
        this.#checkCollectionUnclaimed(client, tenants, tenantId, collectionId, tenantArg !== undefined),
    });
    const byTenant = new Map(provisioned.map((result) => [result.tenantId, result]));
    const results: ProvisionResult[] = [];
    for (const plan of plans) {
      const result = 'refused' in plan ? plan.refused : byTenant.get(plan.tenant.tenant);
      if (result !== undefined) results.push(await this.#record(client, this.#scrubResult(result)));
    }

    const { provisionExitCode } = await import('../provision/provision-exit-code.js');
    const exitCode = provisionExitCode(results);
    if (this.jsonEnabled()) {
      if (exitCode === 0) return results;
      this.logJson(results);
      return this.exit(exitCode);
    }
    if (batch) {
      this.log(format.formatProvisionSummary(results));
    } else {
      const [only] = results;
      if (only !== undefined && only.outcome === 'failed') {
        this.printErr(`colibri: ${only.reason} [${only.code}]`);
      } else if (only !== undefined) {
        this.log(format.formatProvisionResult(only));
      }
    }
    return exitCode === 0 ? results : this.exit(exitCode);
  }

  /**
   * Pins a newly resolved collection id before its secrets are written: refused when another
   * tenant already cached it (a collection renamed to this tenant's name must not hand another
   * tenant's secrets to this jail). colibrid re-checks when the provision is recorded.
   */
  async #checkCollectionUnclaimed(
    client: ColibriClient,
    known: readonly ApiTenant[],
    tenantId: string,
    collectionId: string,
    single: boolean,
  ): Promise<void> {
    const { checkCollectionUnclaimed } = await import('@colibri/join');
    checkCollectionUnclaimed(single ? (await client.listTenants()).tenants : known, tenantId, collectionId);
  }

  /** Records the outcome with colibrid; a written .env the daemon refuses to record turns into a failure. */
  async #record(client: ColibriClient, result: ProvisionResult): Promise<ProvisionResult> {
    const succeeded = result.outcome === 'written' || result.outcome === 'unchanged';
    try {
      await client.recordProvision(result.tenantId, {
        outcome: result.outcome,
        collectionId: succeeded ? (result.collectionId ?? null) : null,
        ...(result.reason === undefined ? {} : { reason: result.reason.slice(0, MAX_REASON) }),
      });
      return result;
    } catch (error) {
      const { toColibriError } = await import('../to-colibri-error.js');
      const refused = toColibriError(error);
      if (!succeeded) {
        this.warnLine(`tenant ${result.tenantId}: colibrid did not record the failure: ${refused.message}`);
        return result;
      }
      return {
        tenantId: result.tenantId,
        outcome: 'failed',
        code: refused.code,
        reason: this.#scrub(
          `${result.path ?? 'the .env'} was ${result.outcome}, but colibrid refused to record it: ${refused.message}`,
        ),
        ...(result.collectionId === undefined ? {} : { collectionId: result.collectionId }),
      };
    }
  }

  /** Defence in depth: the vault library never quotes a credential; scrub anyway before printing or sending. */
  #scrub(text: string): string {
    let out = text;
    for (const secret of [process.env.BW_CLIENTID, process.env.BW_CLIENTSECRET, process.env.BW_PASSWORD]) {
      if (secret !== undefined && secret !== '') out = out.split(secret).join('[redacted]');
    }
    return out;
  }

  #scrubResult(result: ProvisionResult): ProvisionResult {
    return result.reason === undefined ? result : { ...result, reason: this.#scrub(result.reason) };
  }
}
