// The HTTP surface the pinned `bw` CLI (2026.6.0) calls for: login --apikey, unlock, sync, list.
// Shapes follow what the CLI's bundled response classes read (build/bw.js: IdentityTokenResponse,
// SyncResponse, ProfileResponse, ServerConfigResponse, ...). Anything else answers 404 and is logged, so
// a newer CLI that needs a new route fails loudly instead of half-working.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Bitwarden enums used below. */
const KDF_PBKDF2_SHA256 = 0;
const ORG_USER_STATUS_CONFIRMED = 2;
const ORG_USER_TYPE_USER = 2;
const ACCESS_TOKEN_SECONDS = 3600;
const MAX_BODY_BYTES = 64 * 1024;

/**
 * @param {import('./state.mjs').VaultState} state
 * @param {{ requests: Array<{ method: string, path: string }>, baseUrl: () => string }} context
 * @returns {(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void}
 */
export function createRequestHandler(state, context) {
  const tokenSecret = randomBytes(32);

  /** @type {Record<string, (req: import('node:http').IncomingMessage, url: URL) => Promise<Reply>>} */
  const routes = {
    'POST /identity/connect/token': async (req) => token(await readForm(req)),
    'POST /identity/accounts/prelogin': async () => json(200, prelogin()),
    'POST /identity/accounts/prelogin/password': async () => json(200, prelogin()),
    'POST /api/accounts/prelogin': async () => json(200, prelogin()),
    'GET /api/config': async () => json(200, serverConfig(context.baseUrl())),
    'GET /api/accounts/revision-date': authenticated(async () => json(200, state.revisionDate)),
    'GET /api/accounts/profile': authenticated(async () => json(200, profile())),
    'GET /api/sync': authenticated(async () => json(200, sync())),
    'GET /api/collections': authenticated(async () => json(200, list(collectionsJson()))),
  };

  return (req, res) => {
    const url = new URL(req.url ?? '/', 'https://fixture.invalid');
    const method = req.method ?? 'GET';
    // Path only: query strings and bodies may carry secrets and never reach the log.
    context.requests.push({ method, path: url.pathname });
    const route = routes[`${method} ${url.pathname}`];
    const reply = route
      ? route(req, url)
      : Promise.resolve(json(404, errorModel(`bw test server: no route for ${method} ${url.pathname}`)));
    reply
      .catch((error) => json(400, errorModel(error instanceof Error ? error.message : String(error))))
      .then(({ status, body }) => {
        req.resume(); // drain a body no route read, so the connection stays usable
        res.writeHead(status, {
          'content-type': 'application/json; charset=utf-8',
          'cache-control': 'no-store',
        });
        res.end(JSON.stringify(body));
      });
  };

  /**
   * @param {(req: import('node:http').IncomingMessage, url: URL) => Promise<Reply>} handler
   * @returns {(req: import('node:http').IncomingMessage, url: URL) => Promise<Reply>}
   */
  function authenticated(handler) {
    return async (req, url) => {
      const header = req.headers.authorization ?? '';
      const bearer = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
      if (!verifyAccessToken(bearer))
        return json(401, errorModel('Unauthorized: missing or invalid access token'));
      return handler(req, url);
    };
  }

  /** client_credentials with the user's personal API key; everything else is refused like the real server. */
  /** @param {URLSearchParams} form */
  function token(form) {
    const grantType = form.get('grant_type');
    if (grantType !== 'client_credentials') {
      // The CLI falls back to a fresh client_credentials login when a refresh is refused.
      return json(400, { error: grantType === 'refresh_token' ? 'invalid_grant' : 'unsupported_grant_type' });
    }
    for (const field of [
      'client_id',
      'client_secret',
      'scope',
      'deviceIdentifier',
      'deviceName',
      'deviceType',
    ]) {
      if (!form.get(field))
        return json(400, { error: 'invalid_request', error_description: `${field} is required` });
    }
    if (form.get('scope') !== 'api') return json(400, { error: 'invalid_scope' });
    if (!sameSecret(form.get('client_id') ?? '', state.user.clientId))
      return json(400, { error: 'invalid_client' });
    if (!sameSecret(form.get('client_secret') ?? '', state.user.clientSecret)) {
      return json(400, { error: 'invalid_client' });
    }
    const masterPasswordUnlock = masterPasswordUnlockJson();
    return json(200, {
      access_token: issueAccessToken(form.get('deviceIdentifier') ?? ''),
      expires_in: ACCESS_TOKEN_SECONDS,
      token_type: 'Bearer',
      scope: 'api',
      Key: state.account.encryptedUserKey,
      PrivateKey: state.account.encryptedPrivateKey,
      AccountKeys: accountKeysJson(),
      Kdf: KDF_PBKDF2_SHA256,
      KdfIterations: state.kdfIterations,
      KdfMemory: null,
      KdfParallelism: null,
      ResetMasterPassword: false,
      ForcePasswordReset: false,
      UserDecryptionOptions: {
        HasMasterPassword: true,
        MasterPasswordUnlock: masterPasswordUnlock,
        Object: 'userDecryptionOptions',
      },
    });
  }

  function prelogin() {
    return {
      kdf: KDF_PBKDF2_SHA256,
      kdfIterations: state.kdfIterations,
      kdfMemory: null,
      kdfParallelism: null,
    };
  }

  function masterPasswordUnlockJson() {
    return {
      Kdf: { KdfType: KDF_PBKDF2_SHA256, Iterations: state.kdfIterations, Memory: null, Parallelism: null },
      MasterKeyEncryptedUserKey: state.account.encryptedUserKey,
      MasterKeyWrappedUserKey: state.account.encryptedUserKey,
      Salt: state.account.salt,
    };
  }

  /** A V1 account: an RSA key pair wrapped by the user key, no signing key. */
  function accountKeysJson() {
    return {
      publicKeyEncryptionKeyPair: {
        publicKey: state.account.publicKeyB64,
        wrappedPrivateKey: state.account.encryptedPrivateKey,
        signedPublicKey: null,
      },
      signatureKeyPair: null,
      securityState: null,
      object: 'privateKeys',
    };
  }

  function profile() {
    return {
      object: 'profile',
      id: state.user.userId,
      name: state.account.name,
      email: state.user.email,
      emailVerified: true,
      premium: false,
      premiumFromOrganization: false,
      culture: 'en-US',
      twoFactorEnabled: false,
      key: state.account.encryptedUserKey,
      privateKey: state.account.encryptedPrivateKey,
      accountKeys: accountKeysJson(),
      securityStamp: state.account.securityStamp,
      forcePasswordReset: false,
      usesKeyConnector: false,
      verifyDevices: false,
      avatarColor: null,
      creationDate: state.account.creationDate,
      organizations: [organizationJson()],
      providers: [],
      providerOrganizations: [],
    };
  }

  function organizationJson() {
    return {
      object: 'profileOrganization',
      id: state.organization.id,
      name: state.organization.name,
      key: state.organization.encryptedKey,
      status: ORG_USER_STATUS_CONFIRMED,
      type: ORG_USER_TYPE_USER,
      enabled: true,
      userId: state.user.userId,
      usePolicies: false,
      useGroups: false,
      useDirectory: false,
      useEvents: false,
      useTotp: true,
      use2fa: false,
      useApi: true,
      useSso: false,
      useKeyConnector: false,
      useScim: false,
      useCustomPermissions: false,
      useResetPassword: false,
      useSecretsManager: false,
      usePasswordManager: true,
      selfHost: true,
      usersGetPremium: false,
      seats: null,
      maxCollections: null,
      maxStorageGb: null,
      hasPublicAndPrivateKeys: false,
      ssoBound: false,
      identifier: null,
      resetPasswordEnrolled: false,
      organizationUserId: state.user.userId,
      providerId: null,
      providerName: null,
      providerType: null,
      familySponsorshipFriendlyName: null,
      familySponsorshipAvailable: false,
      productTierType: 3,
      keyConnectorEnabled: false,
      keyConnectorUrl: null,
      accessSecretsManager: false,
      limitCollectionCreation: true,
      limitCollectionDeletion: true,
      limitItemDeletion: false,
      allowAdminAccessToAllCollectionItems: true,
      userIsManagedByOrganization: false,
      permissions: {},
    };
  }

  function collectionsJson() {
    return [...state.collections.values()].map((c) => ({
      object: 'collectionDetails',
      id: c.id,
      organizationId: state.organization.id,
      name: c.encryptedName,
      externalId: null,
      type: 0,
      readOnly: false,
      hidePasswords: false,
      manage: false,
    }));
  }

  function ciphersJson() {
    return [...state.ciphers.values()].map((c) => ({
      object: 'cipherDetails',
      id: c.id,
      organizationId: state.organization.id,
      folderId: null,
      type: c.type,
      name: c.encryptedName,
      notes: c.encryptedNotes,
      favorite: false,
      edit: false,
      viewPassword: true,
      permissions: { delete: false, restore: false },
      organizationUseTotp: true,
      collectionIds: c.collectionIds,
      creationDate: c.creationDate,
      revisionDate: c.revisionDate,
      deletedDate: null,
      archivedDate: null,
      reprompt: 0,
      key: null,
      login:
        c.type === 1
          ? {
              username: c.encryptedUsername,
              password: c.encryptedPassword,
              uris: [],
              totp: null,
              fido2Credentials: [],
            }
          : null,
      secureNote: c.type === 2 ? { type: 0 } : null,
      fields: c.fields.map((f) => ({
        name: f.encryptedName,
        value: f.encryptedValue,
        type: f.type,
        linkedId: null,
      })),
      attachments: null,
      passwordHistory: null,
    }));
  }

  function sync() {
    return {
      object: 'sync',
      profile: profile(),
      folders: [],
      collections: collectionsJson(),
      ciphers: ciphersJson(),
      domains: null,
      policies: [],
      sends: [],
      userDecryption: { masterPasswordUnlock: masterPasswordUnlockJson() },
    };
  }

  /**
   * An HS256 JWT. The CLI only decodes the payload (sub, email, exp); the server checks the signature.
   * Expiry is deliberately not enforced server-side: the VM clock may jump, and the CLI renews on its own.
   * @param {string} deviceIdentifier
   */
  function issueAccessToken(deviceIdentifier) {
    const now = Math.floor(Date.now() / 1000);
    const payload = {
      nbf: now - 60,
      exp: now + ACCESS_TOKEN_SECONDS,
      iss: `${context.baseUrl()}/identity`,
      sub: state.user.userId,
      email: state.user.email,
      email_verified: true,
      name: state.account.name,
      premium: false,
      sstamp: state.account.securityStamp,
      device: deviceIdentifier,
      client_id: 'cli',
      scope: ['api'],
      amr: ['Application'],
    };
    const signingInput = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(payload)}`;
    return `${signingInput}.${createHmac('sha256', tokenSecret).update(signingInput).digest('base64url')}`;
  }

  /** @param {string} jwt */
  function verifyAccessToken(jwt) {
    const parts = jwt.split('.');
    if (parts.length !== 3) return false;
    const [header, payload, signature] = /** @type {[string, string, string]} */ (parts);
    const expected = createHmac('sha256', tokenSecret).update(`${header}.${payload}`).digest('base64url');
    if (!sameSecret(signature, expected)) return false;
    try {
      return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')).sub === state.user.userId;
    } catch {
      return false;
    }
  }
}

/** @typedef {{ status: number, body: unknown }} Reply */

/** @param {number} status @param {unknown} body @returns {Reply} */
function json(status, body) {
  return { status, body };
}

/** @param {unknown[]} data */
function list(data) {
  return { object: 'list', data, continuationToken: null };
}

/** The error envelope the CLI's ErrorResponse reads (`message`, `validationErrors`). @param {string} message */
function errorModel(message) {
  return { object: 'error', message, validationErrors: null };
}

/** @param {string} baseUrl */
function serverConfig(baseUrl) {
  return {
    object: 'config',
    version: '2026.6.0',
    gitHash: 'colibri-test-fixture',
    server: { name: 'colibri bw test server', url: baseUrl },
    environment: {
      cloudRegion: null,
      vault: baseUrl,
      api: `${baseUrl}/api`,
      identity: `${baseUrl}/identity`,
      notifications: null,
      sso: null,
    },
    featureStates: {},
    push: { pushTechnology: 0, vapidPublicKey: null },
    settings: { disableUserRegistration: true },
  };
}

/** @param {unknown} value */
function b64url(value) {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** Constant-time comparison of two strings of possibly different length. @param {string} a @param {string} b */
function sameSecret(a, b) {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** @param {import('node:http').IncomingMessage} req @returns {Promise<URLSearchParams>} */
async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new Error(`request body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
