import { checkVariable, ENV_KEY_PATTERN } from '@colibri/env-file';
import { ColibriError } from '@colibri/errors';
import type { BwItem } from './bw-schemas.js';

const ITEM_TYPE_LOGIN = 1;
const ITEM_TYPE_SECURE_NOTE = 2;
const FIELD_TYPE_LINKED = 3;

/**
 * The documented mapping from one vault item to variables (README, "Item → variables"):
 * - every custom field → `FIELD_NAME=value` (text, hidden and boolean fields; a null value is
 *   the empty string); a linked field (type 3) is refused: it points at another property instead
 *   of holding a value, and following it would be a second, hidden mapping;
 * - a login with a password → `ITEM_NAME=password` (the username and URIs are not exported);
 * - a secure note with notes → `ITEM_NAME=notes`;
 * - other item types (card, identity, SSH key) contribute their custom fields only.
 *
 * Every key and value is checked (`COLIBRI_VAULT_SECRET_INVALID`, naming the key and the item,
 * never the value). Duplicates across items are the caller's check.
 */
export function itemVariables(item: BwItem, tenantId: string): Array<readonly [string, string]> {
  const origin = { item: item.name, tenantId };
  const variables: Array<readonly [string, string]> = [];
  for (const field of item.fields ?? []) {
    if (field.type === FIELD_TYPE_LINKED) {
      throw new ColibriError(
        'COLIBRI_VAULT_SECRET_INVALID',
        `field ${JSON.stringify(field.name)} of item ${JSON.stringify(item.name)} (tenant ${tenantId}) is a linked ` +
          'field, which colibri does not export; make it a text or hidden field',
        { item: item.name, key: field.name, tenant: tenantId },
      );
    }
    const value = field.value ?? '';
    checkVariable(field.name, value, origin);
    variables.push([field.name as string, value]);
  }
  const own =
    item.type === ITEM_TYPE_LOGIN
      ? item.login?.password
      : item.type === ITEM_TYPE_SECURE_NOTE
        ? item.notes
        : undefined;
  if (own !== undefined && own !== null && own !== '') {
    if (!ENV_KEY_PATTERN.test(item.name)) {
      const what = item.type === ITEM_TYPE_LOGIN ? 'login password' : 'secure note';
      throw new ColibriError(
        'COLIBRI_VAULT_SECRET_INVALID',
        `item ${JSON.stringify(item.name)} (tenant ${tenantId}) holds a ${what}, which is exported under the ` +
          "item's name, but that name is not a valid variable name: rename the item to letters, digits and _ " +
          '(e.g. DATABASE_PASSWORD)',
        { item: item.name, key: item.name, tenant: tenantId },
      );
    }
    checkVariable(item.name, own, origin);
    variables.push([item.name, own]);
  }
  return variables;
}
