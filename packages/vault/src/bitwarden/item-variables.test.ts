import type { ColibriError } from '@colibri/errors';
import { describe, expect, it } from 'vitest';
import type { BwItem } from './bw-schemas.js';
import { itemVariables } from './item-variables.js';

const base: BwItem = { id: 'i1', name: 'ITEM', type: 2, collectionIds: ['c1'] };

function refused(item: BwItem): ColibriError {
  try {
    itemVariables(item, 'tenant-a');
  } catch (error) {
    expect((error as ColibriError).code).toBe('COLIBRI_VAULT_SECRET_INVALID');
    return error as ColibriError;
  }
  throw new Error('expected itemVariables to refuse');
}

describe('itemVariables (the documented item → variables mapping)', () => {
  it('exports every text, hidden and boolean custom field under its own name', () => {
    expect(
      itemVariables(
        {
          ...base,
          fields: [
            { name: 'TEXT', value: 't', type: 0 },
            { name: 'HIDDEN', value: 'h', type: 1 },
            { name: 'FLAG', value: 'true', type: 2 },
            { name: 'NULL_VALUE', value: null, type: 0 },
          ],
        },
        'tenant-a',
      ),
    ).toEqual([
      ['TEXT', 't'],
      ['HIDDEN', 'h'],
      ['FLAG', 'true'],
      ['NULL_VALUE', ''],
    ]);
  });

  it("exports a login's password under the item name (not the username) and a secure note's notes", () => {
    expect(
      itemVariables({ ...base, name: 'DB_PASSWORD', type: 1, login: { password: 'pw' } }, 'tenant-a'),
    ).toEqual([['DB_PASSWORD', 'pw']]);
    expect(itemVariables({ ...base, name: 'CERT', notes: 'line1\nline2' }, 'tenant-a')).toEqual([
      ['CERT', 'line1\nline2'],
    ]);
  });

  it('a login without a password, a note without notes and other item types give only their fields', () => {
    expect(
      itemVariables({ ...base, name: 'not a key', type: 1, login: { password: null } }, 'tenant-a'),
    ).toEqual([]);
    expect(itemVariables({ ...base, name: 'not a key' }, 'tenant-a')).toEqual([]);
    expect(
      itemVariables(
        {
          ...base,
          name: 'My Card',
          type: 3,
          notes: 'ignored',
          fields: [{ name: 'PIN', value: '1', type: 1 }],
        },
        'tenant-a',
      ),
    ).toEqual([['PIN', '1']]);
  });

  it('refuses a linked field, naming the field and the item', () => {
    const error = refused({ ...base, fields: [{ name: 'LINKED', value: null, type: 3 }] });
    expect(error.message).toContain('"LINKED"');
    expect(error.message).toContain('"ITEM"');
  });

  it('refuses a login whose name is not a valid variable name, naming the item', () => {
    const error = refused({ ...base, name: 'Prod database', type: 1, login: { password: 'pw-value' } });
    expect(error.message).toContain('"Prod database"');
    expect(error.message).not.toContain('pw-value');
  });

  it('refuses an invalid field name or an unencodable value, naming the key and the item, not the value', () => {
    expect(refused({ ...base, fields: [{ name: 'bad-name', value: 'x', type: 0 }] }).message).toContain(
      '"bad-name"',
    );
    const error = refused({ ...base, fields: [{ name: 'TOKEN', value: "can't", type: 1 }] });
    expect(error.message).toContain('TOKEN');
    expect(error.message).toContain('"ITEM"');
    expect(error.message).not.toContain("can't");
    expect(refused({ ...base, fields: [{ name: null, value: 'x', type: 0 }] }).details).toMatchObject({
      key: null,
    });
  });
});
