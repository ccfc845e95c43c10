// The slice of Bitwarden's client-side crypto the test server needs to mint a vault the real `bw` CLI can
// open: master-key derivation, the stretched key, EncString type 2 (AES-256-CBC + HMAC-SHA256) and type 4
// (RSA-OAEP-SHA1). Only node:crypto; nothing here talks to the network.
import {
  constants,
  createCipheriv,
  createHmac,
  createPublicKey,
  generateKeyPairSync,
  pbkdf2Sync,
  publicEncrypt,
  randomBytes,
} from 'node:crypto';

/**
 * A 64-byte symmetric key split the way Bitwarden splits it: 32 bytes for AES, 32 bytes for the HMAC.
 * @typedef {{ encKey: Buffer, macKey: Buffer }} SymmetricKey
 */

/**
 * Master key = PBKDF2-SHA256(password, salt = trimmed lower-case email, iterations, 32 bytes).
 * @param {string} password
 * @param {string} email
 * @param {number} iterations
 * @returns {Buffer}
 */
export function deriveMasterKey(password, email, iterations) {
  return pbkdf2Sync(
    Buffer.from(password, 'utf8'),
    Buffer.from(masterKeySalt(email), 'utf8'),
    iterations,
    32,
    'sha256',
  );
}

/**
 * The salt Bitwarden uses for the master key (and reports as `Salt` in the unlock data).
 * @param {string} email
 */
export function masterKeySalt(email) {
  return email.trim().toLowerCase();
}

/**
 * The stretched master key: HKDF-Expand (no extract step; the master key already is the PRK) with the
 * infos "enc" and "mac". With L = 32 = the hash length, HKDF-Expand is one HMAC block: HMAC(prk, info ‖ 0x01).
 * @param {Buffer} masterKey
 * @returns {SymmetricKey}
 */
export function stretchMasterKey(masterKey) {
  return { encKey: hkdfExpand32(masterKey, 'enc'), macKey: hkdfExpand32(masterKey, 'mac') };
}

/**
 * @param {Buffer} prk
 * @param {string} info
 */
function hkdfExpand32(prk, info) {
  return createHmac('sha256', prk)
    .update(Buffer.concat([Buffer.from(info, 'utf8'), Buffer.from([1])]))
    .digest();
}

/** A fresh random 64-byte key (user key, organization key). @returns {SymmetricKey} */
export function generateSymmetricKey() {
  const bytes = randomBytes(64);
  return { encKey: bytes.subarray(0, 32), macKey: bytes.subarray(32, 64) };
}

/** The 64 raw bytes of a symmetric key, enc ‖ mac, as they are wrapped by another key. @param {SymmetricKey} key */
export function symmetricKeyBytes(key) {
  return Buffer.concat([key.encKey, key.macKey]);
}

/**
 * EncString type 2: `2.<b64 iv>|<b64 ciphertext>|<b64 mac>`, AES-256-CBC (PKCS#7) then HMAC-SHA256 over iv ‖ ct.
 * @param {Buffer | string} plaintext a string is encoded as UTF-8
 * @param {SymmetricKey} key
 * @returns {string}
 */
export function encryptType2(plaintext, key) {
  const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-cbc', key.encKey, iv);
  const ct = Buffer.concat([cipher.update(data), cipher.final()]);
  const mac = createHmac('sha256', key.macKey).update(iv).update(ct).digest();
  return `2.${iv.toString('base64')}|${ct.toString('base64')}|${mac.toString('base64')}`;
}

/**
 * An RSA-2048 key pair as Bitwarden stores it: the public key as SPKI DER, the private key as PKCS#8 DER.
 * @returns {{ publicKeyDer: Buffer, privateKeyDer: Buffer }}
 */
export function generateRsaKeyPair() {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    publicKeyDer: publicKey.export({ type: 'spki', format: 'der' }),
    privateKeyDer: privateKey.export({ type: 'pkcs8', format: 'der' }),
  };
}

/**
 * EncString type 4: `4.<b64 RSA-OAEP-SHA1 ciphertext>` (how an organization key is shared with a member).
 * @param {Buffer} plaintext
 * @param {Buffer} publicKeyDer SPKI DER
 * @returns {string}
 */
export function encryptType4(plaintext, publicKeyDer) {
  const key = createPublicKey({ key: publicKeyDer, format: 'der', type: 'spki' });
  const ct = publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, plaintext);
  return `4.${ct.toString('base64')}`;
}
