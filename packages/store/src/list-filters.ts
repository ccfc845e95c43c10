import { hasNul } from '@colibri/protocol';
import { type ExpressionBuilder, sql } from 'kysely';
import type { Database } from './schema.js';

/**
 * The tenant filter of the listing and counting queries: null selects shared agents / operator
 * tasks. A tenant holding a NUL matches nothing (no tenant has one, and PostgreSQL would refuse
 * to compare it).
 */
export function byTenant(tenant: string | null) {
  return (eb: ExpressionBuilder<Database, 'agents' | 'tasks'>) =>
    tenant === null
      ? eb('tenant', 'is', null)
      : hasNul(tenant)
        ? sql<boolean>`1 = 0`
        : eb('tenant', '=', tenant);
}

/** A status filter given as one value or several. */
export function asList<T extends string>(value: T | readonly T[]): readonly T[] {
  return typeof value === 'string' ? [value] : (value as readonly T[]);
}
