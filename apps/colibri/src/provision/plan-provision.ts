import { join } from 'node:path';
import type { ApiTenant } from '@colibri/api';
import { ColibriError, isColibriError } from '@colibri/errors';
import { parseJailName } from '@colibri/protocol';
import type { ProvisionResult, ProvisionTarget } from '@colibri/vault';
import type { ProvisionConfig } from './resolve-provision-config.js';

/** What provisioning needs to know about a jail home: who owns it (lstat: a link is not followed). */
export type StatJailHome = (path: string) => Promise<{ uid: number; gid: number } | undefined>;

/** One tenant's plan: a target to provision, or why it cannot be. */
export type TenantPlan =
  | { readonly tenant: ApiTenant; readonly target: ProvisionTarget }
  | { readonly tenant: ApiTenant; readonly refused: ProvisionResult };

/** The jail user's home inside a jail: `<jail-root>/<jail>/home/agent`. */
export function defaultJailHome(jailRoot: string, jail: string): string {
  return join(jailRoot, jail, 'home', 'agent');
}

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
 * Turns the daemon's tenant rows into provision targets: the jail home (explicit or
 * `<jail-root>/<jail>/home/agent`) and the `.env` owner (explicit, else the jail home's owner).
 * A root-owned jail home is refused unless `--owner 0:0` was given: a jail user should own it,
 * and a root-owned `.env` would be unreadable to the agent.
 */
export async function planProvision(
  tenants: readonly ApiTenant[],
  config: ProvisionConfig,
  statJailHome: StatJailHome,
): Promise<TenantPlan[]> {
  return Promise.all(
    tenants.map(async (tenant): Promise<TenantPlan> => {
      try {
        const jailHome = config.jailHome ?? defaultJailHome(config.jailRoot, parseJailName(tenant.jail));
        let owner = config.owner;
        if (owner === undefined) {
          const stats = await statJailHome(jailHome);
          if (stats === undefined) {
            throw new ColibriError(
              'COLIBRI_INVALID_INPUT',
              `tenant ${tenant.tenant}: jail home ${jailHome} does not exist; create the jail first, or point at it ` +
                'with --jail-root (or --jail-home)',
              { tenant: tenant.tenant, jailHome },
            );
          }
          if (stats.uid === 0) {
            throw new ColibriError(
              'COLIBRI_INVALID_INPUT',
              `tenant ${tenant.tenant}: jail home ${jailHome} is owned by root, so the .env owner cannot be taken from ` +
                'it; chown it to the jail user, or pass --owner UID:GID (--owner 0:0 for a root-owned .env)',
              { tenant: tenant.tenant, jailHome },
            );
          }
          owner = stats;
        }
        return {
          tenant,
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
}
