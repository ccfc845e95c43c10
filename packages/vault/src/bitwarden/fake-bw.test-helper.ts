import { randomBytes } from 'node:crypto';
import type { CommandResult, CommandRunner, CommandRunOptions } from '../command-runner.js';

// A scripted `bw` following the contract table in VAULT-FACTS.md (observed on the real 2026.6.0):
// plain mode, errors on stderr with exit 1, `--nointeraction` required, the session only through
// BW_SESSION, `list` reading the cache, an unknown collection id listing [].

export const FAKE_BW_ENTRY = '/opt/fake/bw.js';

export interface FakeItem {
  id: string;
  name: string;
  type: number;
  organizationId: string;
  collectionIds: string[];
  notes?: string;
  fields?: { name: string | null; value: string | null; type: number }[];
  login?: { username: string | null; password: string | null; uris: unknown[] };
  secureNote?: { type: 0 };
}

export interface FakeCollection {
  id: string;
  name: string;
  organizationId: string;
}

export interface FakeVault {
  version: string;
  serverUrl: string | null;
  status: 'unauthenticated' | 'locked' | 'unlocked';
  userId: string;
  userEmail: string;
  clientId: string;
  clientSecret: string;
  masterPassword: string;
  collections: FakeCollection[];
  items: FakeItem[];
  /** `sync` fails as with the server down. */
  syncFails: boolean;
  /** `unlock` exits 0 with empty stdout, as bw does when it would prompt. */
  unlockPrintsNothing: boolean;
  /** Items `list items` returns whatever the filter (the OR-filter leak). */
  leakedItems: FakeItem[];
  /** Appended to every stderr, e.g. to check that secrets echoed by bw are scrubbed. */
  stderrEcho: string;
}

export interface RecordedCall {
  readonly file: string;
  /** argv after the bundle path, without the trailing --nointeraction. */
  readonly command: readonly string[];
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

export const ORG = '0b9f3a5e-0000-4000-8000-00000000000a';
export const USER_ID = '5d3b4f7e-1111-4111-8111-111111111111';

export function defaultVault(overrides: Partial<FakeVault> = {}): FakeVault {
  return {
    version: '2026.6.0',
    serverUrl: null,
    status: 'unauthenticated',
    userId: USER_ID,
    userEmail: 'colibri-svc@example.org',
    clientId: `user.${USER_ID}`,
    clientSecret: 'client-secret-Zx81kQ',
    masterPassword: 'master-password-Yw22',
    collections: [],
    items: [],
    syncFails: false,
    unlockPrintsNothing: false,
    leakedItems: [],
    stderrEcho: '',
    ...overrides,
  };
}

/** A fake runner over `vault`, recording every call. Commands run one tick apart (they may interleave). */
export function createFakeBw(vault: FakeVault): {
  runner: CommandRunner;
  calls: RecordedCall[];
  commands(): string[];
} {
  const calls: RecordedCall[] = [];
  let session: string | undefined;
  const ok = (stdout: string): CommandResult => ({ exitCode: 0, stdout, stderr: '' });
  const fail = (stderr: string): CommandResult => ({
    exitCode: 1,
    stdout: '',
    stderr: stderr + vault.stderrEcho,
  });

  function execute(command: readonly string[], env: Readonly<Record<string, string>>): CommandResult {
    const [verb, ...rest] = command;
    const needUnlocked = (): CommandResult | undefined => {
      if (vault.status === 'unauthenticated') return fail('You are not logged in.');
      if (vault.status !== 'unlocked' || session === undefined || env.BW_SESSION !== session) {
        return fail('Vault is locked.');
      }
      return undefined;
    };
    switch (verb) {
      case '--version':
        return ok(vault.version);
      case 'status':
        return ok(
          JSON.stringify({
            serverUrl: vault.serverUrl,
            lastSync: null,
            ...(vault.status === 'unauthenticated'
              ? {}
              : { userEmail: vault.userEmail, userId: vault.userId }),
            status: vault.status,
          }),
        );
      case 'config': {
        if (rest[0] !== 'server' || rest[1] === undefined) return fail('unknown config');
        if (vault.status !== 'unauthenticated') return fail('Logout required before server config update.');
        vault.serverUrl = rest[1].replace(/\/+$/, '');
        return ok('Saved setting `config`.');
      }
      case 'login': {
        if (rest[0] !== '--apikey') return fail('only --apikey is scripted');
        if (vault.status !== 'unauthenticated')
          return fail(`You are already logged in as ${vault.userEmail}.`);
        if (env.BW_CLIENTID !== vault.clientId || env.BW_CLIENTSECRET !== vault.clientSecret) {
          return fail('client_id or client_secret is incorrect. Try again.');
        }
        vault.status = 'locked';
        return ok('You are logged in!\n\nTo unlock your vault, use the `unlock` command. ex:\n$ bw unlock');
      }
      case 'unlock': {
        if (vault.status === 'unauthenticated') return fail('You are not logged in.');
        const variable = rest[0] === '--passwordenv' ? rest[1] : undefined;
        if (variable === undefined || rest[2] !== '--raw')
          return fail('scripted: use --passwordenv VAR --raw');
        if (vault.unlockPrintsNothing)
          return { exitCode: 0, stdout: '', stderr: '? Master password: [hidden]' };
        if (env[variable] !== vault.masterPassword) {
          return fail('Invalid master password. Cryptography error, The decryption operation failed');
        }
        session = randomBytes(66).toString('base64');
        vault.status = 'unlocked';
        return ok(session);
      }
      case 'sync': {
        const refused = needUnlocked();
        if (refused !== undefined) return refused;
        if (vault.syncFails) {
          return fail(
            `Syncing failed: FetchError: request to ${vault.serverUrl}/api/sync failed, reason: connect ECONNREFUSED`,
          );
        }
        return ok('Syncing complete.');
      }
      case 'list': {
        const refused = needUnlocked();
        if (refused !== undefined) return refused;
        if (rest[0] === 'collections' && rest.length === 1) {
          return ok(
            JSON.stringify(vault.collections.map((c) => ({ object: 'collection', externalId: null, ...c }))),
          );
        }
        if (
          rest[0] === 'items' &&
          rest[1] === '--collectionid' &&
          rest[2] !== undefined &&
          rest.length === 3
        ) {
          const id = rest[2];
          const listed = vault.items.filter((item) => item.collectionIds.includes(id));
          return ok(
            JSON.stringify([...listed, ...vault.leakedItems].map((item) => ({ object: 'item', ...item }))),
          );
        }
        return fail(`scripted list does not know ${rest.join(' ')}`);
      }
      case 'lock':
        if (vault.status === 'unauthenticated') return fail('You are not logged in.');
        vault.status = 'locked';
        session = undefined;
        return ok('Your vault is locked.');
      default:
        return fail(`unknown command ${String(verb)}`);
    }
  }

  const runner: CommandRunner = {
    async run(file: string, args: readonly string[], options: CommandRunOptions): Promise<CommandResult> {
      await new Promise((resolve) => setImmediate(resolve));
      const [entry, ...rest] = args;
      const last = rest[rest.length - 1];
      const command = last === '--nointeraction' ? rest.slice(0, -1) : rest;
      calls.push({ file, command, args, env: { ...options.env } });
      if (entry !== FAKE_BW_ENTRY) return fail(`fake bw: unexpected entry ${String(entry)}`);
      // Without --nointeraction the real bw prompts and exits 0 with an empty stdout.
      if (last !== '--nointeraction') return { exitCode: 0, stdout: '', stderr: '? prompt' };
      return execute(command, options.env);
    },
  };
  return {
    runner,
    calls,
    commands: () => calls.map((call) => call.command.slice(0, 2).join(' ')),
  };
}

export function item(partial: Partial<FakeItem> & Pick<FakeItem, 'id' | 'name' | 'collectionIds'>): FakeItem {
  return { type: 2, organizationId: ORG, secureNote: { type: 0 }, ...partial };
}
