// The test server's in-memory world: one user (personal API key + master password) who is a confirmed
// member of one organization, that organization's collections and its ciphers. Everything the CLI will
// decrypt is encrypted here, once, when it is added; the routes only shape it into JSON.
import { randomBytes, randomUUID } from 'node:crypto';
import {
  deriveMasterKey,
  encryptType2,
  encryptType4,
  generateRsaKeyPair,
  generateSymmetricKey,
  masterKeySalt,
  stretchMasterKey,
  symmetricKeyBytes,
} from './crypto.mjs';

/** Bitwarden's cipher types (1 = login, 2 = secure note) and field types (0 text, 1 hidden, 2 boolean). */
/** @type {{ login: 1, note: 2 }} */
const CIPHER_TYPES = { login: 1, note: 2 };
const FIELD_TYPES = [0, 1, 2];

/**
 * @typedef {{ name: string, value: string, type?: 0|1|2 }} ItemFieldInput
 * @typedef {{ name: string, type: 'login'|'note', collectionIds: string[], password?: string, username?: string,
 *   notes?: string, fields?: ItemFieldInput[] }} ItemInput
 * @typedef {{ id: string, encryptedName: string }} CollectionRecord
 * @typedef {{ id: string, type: 1|2, encryptedName: string, encryptedNotes: string|null,
 *   encryptedUsername: string|null, encryptedPassword: string|null,
 *   fields: Array<{ encryptedName: string, encryptedValue: string, type: 0|1|2 }>,
 *   collectionIds: string[], creationDate: string, revisionDate: string }} CipherRecord
 */

/**
 * @param {{ kdfIterations: number }} options
 */
export function createVaultState({ kdfIterations }) {
  const userId = randomUUID();
  const email = `orchestrator-${userId.slice(0, 8)}@colibri.test`;
  // Printable, shell-hostile characters on purpose: callers must pass it through env, never a shell.
  const masterPassword = `Master-${randomBytes(9).toString('base64url')}-$'"!`;
  const clientSecret = randomBytes(22).toString('base64url').replace(/[-_]/g, 'x').slice(0, 30);

  const userKey = generateSymmetricKey();
  const masterKey = deriveMasterKey(masterPassword, email, kdfIterations);
  const { publicKeyDer, privateKeyDer } = generateRsaKeyPair();
  const orgKey = generateSymmetricKey();
  const organizationId = randomUUID();

  const user = Object.freeze({
    email,
    masterPassword,
    clientId: `user.${userId}`,
    clientSecret,
    userId,
  });

  /** What the server stores about the user: only ciphertext and public material, as a real server does. */
  const account = Object.freeze({
    name: 'colibri orchestrator',
    salt: masterKeySalt(email),
    securityStamp: randomUUID(),
    /** The user key wrapped by the stretched master key (the token response's `Key`). */
    encryptedUserKey: encryptType2(symmetricKeyBytes(userKey), stretchMasterKey(masterKey)),
    publicKeyB64: publicKeyDer.toString('base64'),
    /** PKCS#8 private key wrapped by the user key. */
    encryptedPrivateKey: encryptType2(privateKeyDer, userKey),
    creationDate: new Date().toISOString(),
  });

  const organization = Object.freeze({
    id: organizationId,
    name: 'colibri',
    /** The organization key shared with the member: RSA-OAEP-SHA1 to the user's public key. */
    encryptedKey: encryptType4(symmetricKeyBytes(orgKey), publicKeyDer),
  });

  /** @type {Map<string, CollectionRecord>} */
  const collections = new Map();
  /** @type {Map<string, CipherRecord>} */
  const ciphers = new Map();
  // The account revision date the CLI compares with its last sync to decide whether to fetch /sync.
  let revisionDate = Date.now();
  const touch = () => {
    revisionDate = Math.max(Date.now(), revisionDate + 1);
  };

  /** @param {string} id @param {string} what */
  const requireCollection = (id, what) => {
    if (!collections.has(id)) {
      throw new Error(
        `${what}: no collection with id ${JSON.stringify(id)}; use an id returned by addCollection`,
      );
    }
  };

  return {
    kdfIterations,
    user,
    account,
    organization,
    collections,
    ciphers,
    /** @returns {number} */
    get revisionDate() {
      return revisionDate;
    },

    /** @param {string} name @returns {string} */
    addCollection(name) {
      requireString(name, 'addCollection(name)');
      const id = randomUUID();
      collections.set(id, { id, encryptedName: encryptType2(name, orgKey) });
      touch();
      return id;
    },

    /** @param {string} id */
    removeCollection(id) {
      requireCollection(id, 'removeCollection');
      collections.delete(id);
      // Deleting a collection on a real server unassigns its ciphers; the ciphers themselves stay.
      for (const cipher of ciphers.values()) {
        cipher.collectionIds = cipher.collectionIds.filter((c) => c !== id);
      }
      touch();
    },

    /** @param {string} id @param {string} name */
    renameCollection(id, name) {
      requireCollection(id, 'renameCollection');
      requireString(name, 'renameCollection(id, name)');
      collections.set(id, { id, encryptedName: encryptType2(name, orgKey) });
      touch();
    },

    /** @param {ItemInput} item @returns {string} */
    addItem(item) {
      const type = validateItem(item);
      for (const collectionId of item.collectionIds) requireCollection(collectionId, 'addItem');
      const id = randomUUID();
      const now = new Date().toISOString();
      /** @param {string|undefined} value */
      const encOrNull = (value) => (value === undefined ? null : encryptType2(value, orgKey));
      ciphers.set(id, {
        id,
        type,
        encryptedName: encryptType2(item.name, orgKey),
        encryptedNotes: encOrNull(item.notes),
        encryptedUsername: encOrNull(item.username),
        encryptedPassword: encOrNull(item.password),
        fields: (item.fields ?? []).map((f) => ({
          encryptedName: encryptType2(f.name, orgKey),
          encryptedValue: encryptType2(f.value, orgKey),
          type: f.type ?? 0,
        })),
        collectionIds: [...new Set(item.collectionIds)],
        creationDate: now,
        revisionDate: now,
      });
      touch();
      return id;
    },

    /** @param {string} id */
    removeItem(id) {
      if (!ciphers.delete(id)) {
        throw new Error(`removeItem: no item with id ${JSON.stringify(id)}; use an id returned by addItem`);
      }
      touch();
    },
  };
}

/** @typedef {ReturnType<typeof createVaultState>} VaultState */

/** @param {unknown} value @param {string} what */
function requireString(value, what) {
  if (typeof value !== 'string' || value.length === 0) {
    throw new TypeError(`${what}: expected a non-empty string, got ${JSON.stringify(value)}`);
  }
}

/**
 * Rejects what the real CLI could not represent, with a message that names the problem.
 * @param {ItemInput} item
 * @returns {1|2}
 */
function validateItem(item) {
  if (item === null || typeof item !== 'object') throw new TypeError('addItem: expected an item object');
  requireString(item.name, 'addItem: name');
  const type = Object.hasOwn(CIPHER_TYPES, item.type) ? CIPHER_TYPES[item.type] : undefined;
  if (type === undefined) {
    throw new TypeError(`addItem: type must be 'login' or 'note', got ${JSON.stringify(item.type)}`);
  }
  if (!Array.isArray(item.collectionIds)) {
    throw new TypeError('addItem: collectionIds must be an array of ids returned by addCollection');
  }
  if (type === CIPHER_TYPES.note && (item.username !== undefined || item.password !== undefined)) {
    throw new TypeError("addItem: a 'note' item has no username or password; use type 'login' or a field");
  }
  for (const key of /** @type {const} */ (['username', 'password', 'notes'])) {
    if (item[key] !== undefined && typeof item[key] !== 'string') {
      throw new TypeError(`addItem: ${key} must be a string when given`);
    }
  }
  for (const [i, field] of (item.fields ?? []).entries()) {
    requireString(field?.name, `addItem: fields[${i}].name`);
    if (typeof field.value !== 'string') throw new TypeError(`addItem: fields[${i}].value must be a string`);
    if (field.type !== undefined && !FIELD_TYPES.includes(field.type)) {
      throw new TypeError(`addItem: fields[${i}].type must be 0 (text), 1 (hidden) or 2 (boolean)`);
    }
    if (field.type === 2 && field.value !== 'true' && field.value !== 'false') {
      throw new TypeError(`addItem: fields[${i}] is boolean (type 2): its value must be "true" or "false"`);
    }
  }
  return type;
}
