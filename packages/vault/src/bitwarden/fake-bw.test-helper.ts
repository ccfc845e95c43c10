import { randomBytes } from 'node:crypto';
import type {
  CommandResult,
  CommandRunner,
  CommandRunOptions,
  ConnectedProcess,
  ConnectedResponse,
} from '../command-runner.js';

// A scripted `bw` following the contract table in VAULT-FACTS.md (observed on the real 2026.6.0):
// plain mode, errors on stderr with exit 1, `--nointeraction` required, `lock` as a command; and
// `bw serve --hostname fd+connected://3` as observed: it refuses to run logged out ("You are not
// logged in.", exit 1), checks the Host header (localhost:8087), answers `{success, message|data}`
// (200 / 400), keeps the unlocked key in its own memory, `list` reads the cache and an unknown
// collection id lists []. Per-command unlock/sync/list are not scripted: the source must not use them.

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
  /** `POST /unlock` succeeds without a session key in its answer. */
  unlockAnswersNoKey: boolean;
  /** The serve process dies (exit 1) when this path is requested, e.g. `/lock`. */
  serveDiesOn: string | null;
  /** Items `list items` returns whatever the filter (the OR-filter leak). */
  leakedItems: FakeItem[];
  /** Appended to every stderr and serve error message, e.g. to check that echoed secrets are scrubbed. */
  stderrEcho: string;
  /** Set by the fake: a serve process is running (the source must have stopped it at the end). */
  serving: boolean;
  /** Set by the fake: every session key a serve process made. */
  sessionKeys: string[];
}

export interface RecordedCall {
  readonly file: string;
  /**
   * argv after the bundle path, without the trailing --nointeraction (`['serve', …]` for a serve
   * process); for a request to a serve process `[method, path, query?]`.
   */
  readonly command: readonly string[];
  /** The argv (for a request: its serve process's argv). */
  readonly args: readonly string[];
  /** The environment (for a request: its serve process's environment). */
  readonly env: Readonly<Record<string, string>>;
  /** A request's body. */
  readonly body?: string;
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
    unlockAnswersNoKey: false,
    serveDiesOn: null,
    leakedItems: [],
    stderrEcho: '',
    serving: false,
    sessionKeys: [],
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
  const ok = (stdout: string): CommandResult => ({ exitCode: 0, stdout, stderr: '' });
  const fail = (stderr: string): CommandResult => ({
    exitCode: 1,
    stdout: '',
    stderr: stderr + vault.stderrEcho,
  });

  function statusJson() {
    return {
      serverUrl: vault.serverUrl,
      lastSync: null,
      ...(vault.status === 'unauthenticated' ? {} : { userEmail: vault.userEmail, userId: vault.userId }),
      status: vault.status,
    };
  }

  /** One `bw serve` process over `vault`; its unlocked key lives only in this closure. */
  function serve(
    file: string,
    args: readonly string[],
    env: Readonly<Record<string, string>>,
  ): ConnectedProcess {
    let unlocked = false;
    let endExit: ((result: CommandResult) => void) | undefined;
    let ended: CommandResult | undefined;
    const exited = new Promise<CommandResult>((resolve) => {
      endExit = (result) => {
        if (ended !== undefined) return;
        ended = result;
        vault.serving = false;
        resolve(result);
      };
    });
    vault.serving = true;
    const end = (result: CommandResult) => endExit?.(result);
    const reply = (status: number, body: unknown): ConnectedResponse => ({
      status,
      body: JSON.stringify(body),
    });
    const success = (data: unknown) => reply(200, { success: true, data });
    const error = (message: string) => reply(400, { success: false, message: message + vault.stderrEcho });
    const fixedArgs = [FAKE_BW_ENTRY, 'serve', '--hostname', 'fd+connected://3', '--nointeraction'];
    if (args.join(' ') !== fixedArgs.join(' '))
      end({ exitCode: 1, stdout: '', stderr: 'fake bw: unexpected serve argv' });
    else if (vault.status === 'unauthenticated')
      end({ exitCode: 1, stdout: '', stderr: 'You are not logged in.' });

    function answer(
      method: string,
      path: string,
      query: URLSearchParams,
      body: string | undefined,
    ): ConnectedResponse {
      const needUnlocked = () =>
        unlocked && vault.status === 'unlocked' ? undefined : error('Vault is locked.');
      switch (`${method} ${path}`) {
        case 'GET /status':
          return success({ object: 'template', template: statusJson() });
        case 'POST /unlock': {
          const password = (JSON.parse(body ?? '{}') as { password?: string }).password;
          if (password !== vault.masterPassword)
            return error('Cryptography error, The decryption operation failed');
          unlocked = true;
          vault.status = 'unlocked';
          const raw = randomBytes(64).toString('base64');
          vault.sessionKeys.push(raw);
          return success({
            object: 'message',
            title: 'Your vault is now unlocked!',
            ...(vault.unlockAnswersNoKey ? {} : { raw }),
          });
        }
        case 'POST /sync': {
          const refused = needUnlocked();
          if (refused !== undefined) return refused;
          if (vault.syncFails) {
            return error(
              `Syncing failed: FetchError: request to ${vault.serverUrl}/api/sync failed, reason: connect ECONNREFUSED`,
            );
          }
          return success({ object: 'message', title: 'Syncing complete.' });
        }
        case 'GET /list/object/collections': {
          const refused = needUnlocked();
          if (refused !== undefined) return refused;
          if ([...query.keys()].length > 0) return error('scripted: collections take no filter');
          return success({
            object: 'list',
            data: vault.collections.map((c) => ({ object: 'collection', externalId: null, ...c })),
          });
        }
        case 'GET /list/object/items': {
          const refused = needUnlocked();
          if (refused !== undefined) return refused;
          const id = query.get('collectionid');
          if (id === null || [...query.keys()].length !== 1)
            return error('scripted: use ?collectionid=ID only');
          const listed = vault.items.filter((item) => item.collectionIds.includes(id));
          return success({
            object: 'list',
            data: [...listed, ...vault.leakedItems].map((item) => ({ object: 'item', ...item })),
          });
        }
        case 'POST /lock':
          unlocked = false;
          vault.status = 'locked';
          return success({ object: 'message', title: 'Your vault is locked.' });
        default:
          return error(`scripted serve does not know ${method} ${path}`);
      }
    }

    return {
      exited,
      async request(request) {
        await new Promise((resolve) => setImmediate(resolve));
        const url = new URL(request.path, 'http://fake.invalid');
        const query = url.search === '' ? [] : [url.search.slice(1)];
        calls.push({
          file,
          command: [request.method, url.pathname, ...query],
          args,
          env: { ...env },
          ...(request.body === undefined ? {} : { body: request.body }),
        });
        if (ended !== undefined) throw new Error('socket hang up');
        if (request.headers?.host !== 'localhost:8087' || request.headers?.origin !== undefined) {
          return { status: 403, body: 'Forbidden' };
        }
        if (vault.serveDiesOn === url.pathname) {
          end({ exitCode: 1, stdout: '', stderr: 'fake bw serve crashed' });
          throw new Error('socket hang up');
        }
        return answer(request.method, url.pathname, url.searchParams, request.body);
      },
      async stop() {
        end({ exitCode: -1, stdout: '', stderr: '' });
        return exited;
      },
    };
  }

  function execute(command: readonly string[], env: Readonly<Record<string, string>>): CommandResult {
    const [verb, ...rest] = command;
    switch (verb) {
      case '--version':
        return ok(vault.version);
      case 'status':
        return ok(JSON.stringify(statusJson()));
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
      case 'lock':
        if (vault.status === 'unauthenticated') return fail('You are not logged in.');
        vault.status = 'locked';
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
    start(file, args, options) {
      const [, ...rest] = args;
      const last = rest[rest.length - 1];
      calls.push({
        file,
        command: last === '--nointeraction' ? rest.slice(0, -1) : rest,
        args,
        env: { ...options.env },
      });
      return serve(file, args, options.env);
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
