import type { ApiTenant, ApiTenantEvent, ShowTenantResponse } from '@colibri/api';
import { formatAge, formatFields, formatTable } from './format-table.js';

/** A tenant's collection for people: its name, or why there is none. */
function collectionOf(tenant: ApiTenant): string {
  return tenant.collection ?? '- (no bucket)';
}

/** `colibri list-tenants` in human mode: one aligned row per tenant. */
export function formatTenantTable(tenants: readonly ApiTenant[], now: Date): string {
  if (tenants.length === 0) return 'no tenants';
  return formatTable(
    ['TENANT', 'STATUS', 'JAIL', 'COLLECTION-ID', 'UPDATED', 'COLLECTION'],
    tenants.map((tenant) => [
      tenant.tenant,
      tenant.status,
      tenant.jail,
      tenant.collectionId ?? '-',
      formatAge(tenant.updatedAt, now),
      collectionOf(tenant),
    ]),
  );
}

/** An event's details as `key=value` pairs (`outcome=written collectionId=c-1`), or `` when none. */
function formatDetails(details: ApiTenantEvent['details']): string {
  if (details === null) return '';
  return Object.entries(details)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
}

function formatEvents(events: readonly ApiTenantEvent[]): string {
  if (events.length === 0) return '  (no events: the tenant predates the event log)';
  return formatTable(
    ['AT', 'FROM', 'TO', 'REASON', 'DETAILS'],
    events.map((event) => [
      event.at,
      event.from ?? '(new)',
      event.to,
      event.reason ?? '',
      formatDetails(event.details),
    ]),
  )
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

/** `colibri show-tenant` in human mode: the tenant's fields, then its event log. */
export function formatShowTenant(response: ShowTenantResponse): string {
  const { tenant } = response;
  const fields: [string, string][] = [
    ['tenant', tenant.tenant],
    ['status', tenant.status],
    ['jail', tenant.jail],
    ['collection', collectionOf(tenant)],
    [
      'collection id',
      tenant.collectionId ??
        (tenant.collection === null ? '-' : '- (resolved from the name at the next provision)'),
    ],
    ['created', tenant.createdAt],
    ['updated', tenant.updatedAt],
  ];
  return `${formatFields(fields)}\n\nhistory:\n${formatEvents(response.events)}`;
}

/** One tenant in a sentence: `tenant acme (pending): jail acme, collection "acme"`. */
export function formatTenantLine(tenant: ApiTenant): string {
  const collection =
    tenant.collection === null ? 'no bucket' : `collection ${JSON.stringify(tenant.collection)}`;
  return `tenant ${tenant.tenant} (${tenant.status}): jail ${tenant.jail}, ${collection}`;
}
