import type { ApiTenant } from '@colibri/api';
import { ColibriError, isColibriError } from '@colibri/errors';
import { parseJailName } from '@colibri/protocol';
import { jailHomePath } from '@colibri/spawner';
import type { ProvisionResult, ProvisionTarget } from '@colibri/vault';
import type { ProvisionConfig } from './resolve-provision-config.js';

/** What provisioning needs to know about a jail home: who owns it (lstat: a link is not followed). */
export type StatJailHome = (path: string) => Promise<{ uid: number; gid: number } | undefined>;
/** The jail user's ids from colibri's record of the jail (`readJailOwner`), undefined without one. */
export type ReadJailOwner = (jail: string) => Promise<{ uid: number; gid: number } | undefined>;

/** One tenant's plan: a target to provision, or why it cannot be. */
export type TenantPlan =
  | { readonly tenant: ApiTenant; readonly target: ProvisionTarget }
  | { readonly tenant: ApiTenant; readonly refused: ProvisionResult };

function refuse(tenant: ApiTenant, error: unknown): TenantPlan {
  const colibri = isColibriError(error)
    ? error
    : new ColibriError('COLIBRI_INTERNAL', `tenant ${tenant.tenant}: cannot plan its provision`, {});
  return {
    tenant,
    refused: { tenantId: tenant.tenant, outcome: 'failed', code: colibri.code, reason: colibri.message },
  };
}

/**
 * Turns the daemon's tenant rows into provision targets: the jail home (explicit, or where the
 * jail's driver keeps it: `jailHomePath(layout, jail root, jail)`) and the `.env` owner: the jail
 * user from colibri's record of the jail, else the jail home's owner (a root-owned home is refused
 * unless `--owner 0:0` was given: a jail user should own it, and a root-owned `.env` would be
 * unreadable to the agent), else an explicit `--owner` for one tenant. With several tenants one
 * `--owner` would give every tenant's `.env` the same owner: it is refused (`COLIBRI_INVALID_INPUT`,
 * nothing written) unless every tenant's jail user is that owner.
 */
export async function planProvision(
  tenants: readonly ApiTenant[],
  config: ProvisionConfig,
  statJailHome: StatJailHome,
  readJailOwner: ReadJailOwner,
): Promise<TenantPlan[]> {
  const plans = await Promise.all(
    tenants.map(async (tenant): Promise<TenantPlan & { mapsTo?: string }> => {
      try {
        const jail = parseJailName(tenant.jail);
        const jailHome = config.jailHome ?? jailHomePath(config.layout, config.jailRoot, jail);
        const recorded = await readJailOwner(jail);
        let owner = recorded ?? (config.owner === undefined || tenants.length > 1 ? undefined : config.owner);
        if (owner === undefined) {
          const stats = await statJailHome(jailHome);
          if (stats === undefined) {
            throw new ColibriError(
              'COLIBRI_INVALID_INPUT',
              `tenant ${tenant.tenant}: jail home ${jailHome} does not exist; create the jail first, or point at it ` +
                `with --jail-root and --driver (the ${config.layout} layout), or --jail-home`,
              { tenant: tenant.tenant, jailHome },
            );
          }
          if (stats.uid === 0 && config.owner === undefined) {
            throw new ColibriError(
              'COLIBRI_INVALID_INPUT',
              `tenant ${tenant.tenant}: jail home ${jailHome} is owned by root, so the .env owner cannot be taken from ` +
                'it; chown it to the jail user, or pass --owner UID:GID (--owner 0:0 for a root-owned .env)',
              { tenant: tenant.tenant, jailHome },
            );
          }
          owner = stats;
        }
        if (config.owner !== undefined && tenants.length === 1) owner = config.owner;
        return {
          tenant,
          mapsTo: `${owner.uid}:${owner.gid}`,
          target: {
            tenantId: tenant.tenant,
            collectionName: tenant.collection,
            cachedCollectionId: tenant.collectionId,
            jailHome,
            owner: { uid: owner.uid, gid: owner.gid },
          },
        };
      } catch (error) {
        return refuse(tenant, error);
      }
    }),
  );
  const wanted = config.owner === undefined ? undefined : `${config.owner.uid}:${config.owner.gid}`;
  if (wanted !== undefined && tenants.length > 1) {
    const others = plans.filter((plan) => plan.mapsTo !== wanted);
    if (others.length > 0) {
      throw new ColibriError(
        'COLIBRI_INVALID_INPUT',
        `--owner ${wanted} with several tenants would give every tenant's .env the same owner, but ` +
          others
            .map((plan) =>
              plan.mapsTo === undefined
                ? `tenant ${plan.tenant.tenant}'s jail user is unknown`
                : `tenant ${plan.tenant.tenant} belongs to ${plan.mapsTo}`,
            )
            .join(', ') +
          ': drop --owner (each .env then goes to its own jail user), or provision one tenant at a time',
        { flag: 'owner', tenants: others.map((plan) => plan.tenant.tenant) },
      );
    }
  }
  return plans.map(({ mapsTo: _mapsTo, ...plan }) => plan as TenantPlan);
}
