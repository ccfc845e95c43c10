import { ColibriError } from '@colibri/errors';
import { hasNul, isLegalTenantTransition, type TenantStatus } from '@colibri/protocol';
import type * as v from 'valibot';
import type {
  createTenantSchema,
  recordTenantProvisionSchema,
  resetTenantCollectionSchema,
  setTenantStatusSchema,
} from './input-schemas.js';
import { asList } from './list-filters.js';
import { lockTenant } from './row-locks.js';
import { type TenantRow, toTenant, toTenantEvent } from './row-mapping.js';
import type { ListTenantsFilter, TenantEvent, TenantRecord } from './store.js';
import type { Db, StoreContext, Trx } from './store-context.js';
import { collectionChanged, tenantExists } from './store-errors.js';

type CreateTenant = v.InferOutput<typeof createTenantSchema>;
type RecordTenantProvision = v.InferOutput<typeof recordTenantProvisionSchema>;
type ResetTenantCollection = v.InferOutput<typeof resetTenantCollectionSchema>;
type SetTenantStatus = v.InferOutput<typeof setTenantStatusSchema>;

/** The jail and collection a new tenant gets: its own id unless given (`collection: null` = no bucket). */
export function tenantNames(tenant: CreateTenant): {
  tenantId: string;
  jail: string;
  collection: string | null;
} {
  return {
    tenantId: tenant.tenantId,
    jail: tenant.jail ?? tenant.tenantId,
    collection: tenant.collection === undefined ? tenant.tenantId : tenant.collection,
  };
}

async function insertTenantEvent(
  trx: Trx,
  event: {
    tenantId: string;
    from: TenantStatus | null;
    to: TenantStatus;
    reason: string | null;
    details: Record<string, unknown> | null;
    at: string | Date;
  },
): Promise<void> {
  await trx
    .insertInto('tenant_events')
    .values({
      tenant_id: event.tenantId,
      at: event.at,
      from_status: event.from,
      to_status: event.to,
      reason: event.reason,
      details: event.details === null ? null : JSON.stringify(event.details),
    })
    .execute();
}

/**
 * Writes a tenant's new status and/or cached collection id and its event, compare-and-set on
 * the status read under the lock (the rule holds whatever the isolation level).
 */
async function changeTenant(
  trx: Trx,
  row: TenantRow,
  change: {
    to: TenantStatus;
    collectionId?: string | null;
    reason: string;
    details: Record<string, unknown> | null;
    at: string | Date;
  },
): Promise<TenantRow> {
  const updated = await trx
    .updateTable('tenants')
    .set({
      status: change.to,
      updated_at: change.at,
      ...(change.collectionId !== undefined ? { collection_id: change.collectionId } : {}),
    })
    .where('tenant_id', '=', row.tenant_id)
    .where('status', '=', row.status)
    .returningAll()
    .executeTakeFirst();
  if (!updated) {
    throw new ColibriError(
      'COLIBRI_STALE_ATTEMPT',
      `tenant ${row.tenant_id} changed while being moved to ${change.to}; read it again`,
      { tenantId: row.tenant_id },
    );
  }
  await insertTenantEvent(trx, {
    tenantId: row.tenant_id,
    from: row.status,
    to: change.to,
    reason: change.reason,
    details: change.details,
    at: change.at,
  });
  return updated;
}

/** Creates a pending tenant with its `created` event; a taken id, jail or collection is refused. */
export async function createTenant(
  trx: Trx,
  context: StoreContext,
  tenant: CreateTenant,
): Promise<TenantRecord> {
  const at = context.time(tenant.at);
  const names = tenantNames(tenant);
  const { jail, collection } = names;
  const clashes = await trx
    .selectFrom('tenants')
    .select(['tenant_id', 'jail', 'collection'])
    .where((eb) =>
      eb.or([
        eb('tenant_id', '=', tenant.tenantId),
        eb('jail', '=', jail),
        ...(collection === null ? [] : [eb('collection', '=', collection)]),
      ]),
    )
    .execute();
  if (clashes.some((clash) => clash.tenant_id === tenant.tenantId)) {
    throw tenantExists(names, 'tenant', 'it already exists');
  }
  const jailOwner = clashes.find((clash) => clash.jail === jail);
  if (jailOwner) {
    throw tenantExists(names, 'jail', `jail ${jail} already belongs to tenant ${jailOwner.tenant_id}`);
  }
  const collectionOwner = clashes[0];
  if (collectionOwner) {
    throw tenantExists(
      names,
      'collection',
      `collection ${JSON.stringify(collection)} already belongs to tenant ${collectionOwner.tenant_id} (a collection serves one tenant)`,
    );
  }
  const row = await trx
    .insertInto('tenants')
    .values({
      tenant_id: tenant.tenantId,
      jail,
      collection,
      collection_id: null,
      status: 'pending',
      created_at: at,
      updated_at: at,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await insertTenantEvent(trx, {
    tenantId: tenant.tenantId,
    from: null,
    to: 'pending',
    reason: 'created',
    details: { jail, collection },
    at,
  });
  return toTenant(row);
}

/**
 * Records a provision's outcome: caches the resolved collection id (a different one fails closed),
 * moves the tenant to provisioned/failed, and logs it unless a repeat changes nothing.
 */
export async function recordTenantProvision(
  trx: Trx,
  context: StoreContext,
  provision: RecordTenantProvision,
): Promise<TenantRecord> {
  const at = context.time(provision.at);
  const { tenantId, outcome, collectionId } = provision;
  const row = await lockTenant(trx, context, tenantId);
  if (collectionId !== null) {
    if (row.collection === null) {
      throw new ColibriError(
        'COLIBRI_INVALID_INPUT',
        `recordTenantProvision: tenant ${tenantId} has no collection (no bucket), so no collection id can be resolved for it`,
        { field: 'collectionId', tenantId },
      );
    }
    if (row.collection_id !== null && row.collection_id !== collectionId) {
      throw collectionChanged(tenantId, row.collection_id, collectionId);
    }
    const owner = await trx
      .selectFrom('tenants')
      .select('tenant_id')
      .where('collection_id', '=', collectionId)
      .where('tenant_id', '!=', tenantId)
      .executeTakeFirst();
    if (owner) throw collectionChanged(tenantId, row.collection_id, collectionId, owner.tenant_id);
  }
  const to: TenantStatus =
    outcome === 'failed' ? 'failed' : row.status === 'active' ? 'active' : 'provisioned';
  const idChanged = collectionId !== null && collectionId !== row.collection_id;
  if (to === row.status && !idChanged && outcome !== 'written' && outcome !== 'failed') {
    return toTenant(row);
  }
  const updated = await changeTenant(trx, row, {
    to,
    ...(collectionId !== null ? { collectionId } : {}),
    reason: `provision ${outcome}${provision.reason !== undefined ? `: ${provision.reason}` : ''}`,
    details: { outcome, collectionId },
    at,
  });
  return toTenant(updated);
}

/** The refusal when another tenant cached the same collection id between our check and our write (PostgreSQL). */
export function collectionCachedConcurrently(tenantId: string, collectionId: string): ColibriError {
  return new ColibriError(
    'COLIBRI_VAULT_COLLECTION_CHANGED',
    `collection id ${collectionId} was just cached for another tenant; one collection never serves two tenants (check the collection names in the vault)`,
    { tenantId, collectionId },
  );
}

/** Clears a tenant's cached collection id (logged); a tenant without one is returned unchanged. */
export async function resetTenantCollection(
  trx: Trx,
  context: StoreContext,
  reset: ResetTenantCollection,
): Promise<TenantRecord> {
  const at = context.time(reset.at);
  const row = await lockTenant(trx, context, reset.tenantId);
  if (row.collection_id === null) return toTenant(row);
  const updated = await changeTenant(trx, row, {
    to: row.status,
    collectionId: null,
    reason: reset.reason ?? 'cached collection id cleared by the operator',
    details: { previousCollectionId: row.collection_id },
    at,
  });
  return toTenant(updated);
}

/** Moves a tenant along `TENANT_TRANSITIONS`. */
export async function setTenantStatus(
  trx: Trx,
  context: StoreContext,
  change: SetTenantStatus,
): Promise<TenantRecord> {
  const at = context.time(change.at);
  const row = await lockTenant(trx, context, change.tenantId);
  if (!isLegalTenantTransition(row.status, change.to)) {
    throw new ColibriError(
      'COLIBRI_ILLEGAL_TRANSITION',
      `tenant ${row.tenant_id} is ${row.status}; ${row.status} → ${change.to} is not allowed`,
      { tenantId: row.tenant_id, from: row.status, to: change.to },
    );
  }
  const updated = await changeTenant(trx, row, { to: change.to, reason: change.reason, details: null, at });
  return toTenant(updated);
}

export async function getTenantRow(db: Db, tenantId: string): Promise<TenantRow | undefined> {
  // No tenant id holds a NUL (they are validated), and PostgreSQL would refuse to compare one.
  if (hasNul(tenantId)) return undefined;
  return db.selectFrom('tenants').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst();
}

export async function listTenants(db: Db, filter: ListTenantsFilter): Promise<TenantRecord[]> {
  let query = db.selectFrom('tenants').selectAll().orderBy('tenant_id');
  if (filter.status !== undefined) query = query.where('status', 'in', asList(filter.status));
  return (await query.execute()).map(toTenant);
}

export async function listTenantEvents(db: Db, tenantId: string): Promise<TenantEvent[]> {
  const rows = await db
    .selectFrom('tenant_events')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('id')
    .execute();
  return rows.map(toTenantEvent);
}
