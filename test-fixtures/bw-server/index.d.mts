/** Options of {@link startBwTestServer}; all optional. */
export interface BwTestServerOptions {
  /** Address to listen on; it goes into the certificate's subjectAltName. Default '127.0.0.1'. */
  host?: string;
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** PBKDF2-SHA256 iterations of the user's master key; default (and minimum, as bw enforces) 5000. */
  kdfIterations?: number;
}

/** The one user of the test server: a confirmed member of its organization. */
export interface BwTestUser {
  /** Login email; lower-cased, it is also the master-key salt. */
  readonly email: string;
  /** Master password; `bw unlock` checks it locally by decrypting the user key. Contains shell metacharacters. */
  readonly masterPassword: string;
  /** Personal API key id, `user.<userId>` (BW_CLIENTID). */
  readonly clientId: string;
  /** Personal API key secret (BW_CLIENTSECRET). */
  readonly clientSecret: string;
  /** The user's uuid. */
  readonly userId: string;
}

/** A cipher to add to the organization, encrypted with the organization key. */
export interface BwTestItem {
  /** Item name (not unique). */
  name: string;
  /** 'login' (cipher type 1) or 'note' (secure note, type 2; no username/password). */
  type: 'login' | 'note';
  /** Collections holding the item; ids returned by addCollection. May be empty. */
  collectionIds: string[];
  /** Login password ('login' only). */
  password?: string;
  /** Login username ('login' only). */
  username?: string;
  /** Notes; absent means `notes` is absent from `bw`'s JSON. */
  notes?: string;
  /** Custom fields: type 0 text (default), 1 hidden, 2 boolean ("true"/"false"). */
  fields?: Array<{ name: string; value: string; type?: 0 | 1 | 2 }>;
}

/** A running test server and the handles to shape its vault and its availability. */
export interface BwTestServer {
  /** Base URL for `bw config server`, `https://HOST:PORT`. */
  readonly url: string;
  /** PEM of the CA that signed the server certificate; give it to bw as NODE_EXTRA_CA_CERTS. */
  readonly caCertPath: string;
  /** The user's credentials (never logged by the server). */
  readonly user: BwTestUser;
  /** The organization's uuid. */
  readonly organizationId: string;
  /** Adds a collection and returns its id. Duplicate names are allowed on purpose. */
  addCollection(name: string): string;
  /** Deletes a collection; items stay but lose that collection id. Throws on an unknown id. */
  removeCollection(id: string): void;
  /** Renames a collection. Throws on an unknown id. */
  renameCollection(id: string, name: string): void;
  /** Adds an organization cipher and returns its id. Throws a clear TypeError on bad input. */
  addItem(item: BwTestItem): string;
  /** Deletes an item. Throws on an unknown id. */
  removeItem(id: string): void;
  /** Every request received, in order: method and path only (no query, no body, no secrets). */
  readonly requests: Array<{ method: string; path: string }>;
  /** Stops listening and drops open connections: bw then gets ECONNREFUSED. State is kept. */
  stop(): Promise<void>;
  /** Listens again on the same port with the same state. */
  restart(): Promise<void>;
  /** stop() and remove the temp dir (CA, keys). The server cannot be restarted afterwards. */
  close(): Promise<void>;
}

/** Mints a CA and server certificate into a temp dir, creates the user/org, and listens. */
export declare function startBwTestServer(options?: BwTestServerOptions): Promise<BwTestServer>;
