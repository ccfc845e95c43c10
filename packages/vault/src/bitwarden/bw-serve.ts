import { ColibriError, type ErrorCode } from '@colibri/errors';
import * as v from 'valibot';
import type { CommandResult, ConnectedProcess, ConnectedRequest } from '../command-runner.js';
import type { BwCli } from './bw-cli.js';
import {
  type BwCollection,
  type BwItem,
  type BwStatus,
  bwCollectionListSchema,
  bwItemListSchema,
  bwStatusSchema,
} from './bw-schemas.js';

/**
 * `bw serve` checks the Host header against `localhost:<port>` (default 8087) and refuses any
 * request with an Origin header; both protections stay on.
 */
const SERVE_HOST = 'localhost:8087';
/** bw's fd for the connected socket: the child's `stdio[3]`. */
export const SERVE_ARGS = ['serve', '--hostname', 'fd+connected://3'] as const;
/** How long to wait for the exit of a serve process whose connection broke, to quote why. */
const EXIT_WAIT_MS = 5_000;
/** What bw prints when it refuses to serve a logged-out appdata dir. */
const NOT_LOGGED_IN = /You are not logged in\./;

/** Every answer of `bw serve`: `{success, message?, data?}` (HTTP 200 on success, 400 otherwise). */
const envelopeSchema = v.object({
  success: v.boolean(),
  message: v.nullish(v.string()),
  data: v.optional(v.unknown()),
});
const statusDataSchema = v.object({ template: bwStatusSchema });
const listDataSchema = <T extends v.GenericSchema>(schema: T) => v.object({ data: schema });
const unlockDataSchema = v.object({ raw: v.nullish(v.string()) });

/** The serve process ended before it answered: logged out (bw refuses to serve), or anything else. */
export class BwServeEnded extends Error {
  constructor(
    readonly result: CommandResult,
    readonly notLoggedIn: boolean,
  ) {
    super('bw serve ended');
  }
}

/**
 * One `bw serve --hostname fd+connected://3` process: unlock, sync, list and lock are HTTP requests
 * over the socket pair only this process holds. The master password travels in the unlock
 * request's body; the serve process's environment holds no credential at all.
 */
export class BwServe {
  readonly #process: ConnectedProcess;
  readonly #cli: BwCli;

  constructor(process: ConnectedProcess, cli: BwCli) {
    this.#process = process;
    this.#cli = cli;
  }

  /** `GET /status`; throws {@link BwServeEnded} when the process ended first (e.g. logged out). */
  async status(): Promise<BwStatus> {
    let answer: { status: number; body: string };
    try {
      answer = await this.#send({ method: 'GET', path: '/status' });
    } catch {
      const { result } = await this.#end();
      throw new BwServeEnded(result, NOT_LOGGED_IN.test(result.stderr));
    }
    const data = this.#expect('status', answer, 'COLIBRI_VAULT_CLI_FAILED', '');
    return this.#parse('status', data, statusDataSchema).template;
  }

  /** `POST /unlock {password}`; resolves with the session key bw made (only to scrub it from text). */
  async unlock(password: string, hint: string): Promise<string | undefined> {
    const data = await this.call(
      'unlock',
      { method: 'POST', path: '/unlock', body: JSON.stringify({ password }) },
      'COLIBRI_VAULT_UNLOCK_FAILED',
      hint,
    );
    const raw = this.#parse('unlock', data, unlockDataSchema).raw;
    return raw === null || raw === '' ? undefined : raw;
  }

  /** `POST /sync`: must succeed, or the cache could serve stale secrets. */
  async sync(hint: string): Promise<void> {
    await this.call('sync', { method: 'POST', path: '/sync' }, 'COLIBRI_VAULT_SYNC_FAILED', hint);
  }

  /** `GET /list/object/collections` (the local cache, after a successful sync). */
  async collections(): Promise<BwCollection[]> {
    const data = await this.call(
      'list collections',
      { method: 'GET', path: '/list/object/collections' },
      'COLIBRI_VAULT_CLI_FAILED',
    );
    return this.#parse('list collections', data, listDataSchema(bwCollectionListSchema)).data;
  }

  /** `GET /list/object/items?collectionid=ID`: that filter only (with organizationid it is an OR). */
  async items(collectionId: string): Promise<BwItem[]> {
    const label = `list items --collectionid ${collectionId}`;
    const data = await this.call(
      label,
      { method: 'GET', path: `/list/object/items?collectionid=${encodeURIComponent(collectionId)}` },
      'COLIBRI_VAULT_CLI_FAILED',
    );
    return this.#parse(label, data, listDataSchema(bwItemListSchema)).data;
  }

  /** `POST /lock`. */
  async lock(): Promise<void> {
    await this.call('lock', { method: 'POST', path: '/lock' }, 'COLIBRI_VAULT_CLI_FAILED');
  }

  /** Ends the process (SIGTERM, then SIGKILL) and waits for it. */
  async stop(): Promise<void> {
    await this.#process.stop();
  }

  /** One request; a broken connection or `success: false` throws `code` with bw's scrubbed words. */
  async call(label: string, request: ConnectedRequest, code: ErrorCode, hint = ''): Promise<unknown> {
    let answer: { status: number; body: string };
    try {
      answer = await this.#send(request);
    } catch (error) {
      const { result, ended } = await this.#end();
      const said = this.#cli.quote(result.stderr);
      const why = ended
        ? `the bw serve process ended (exit ${result.exitCode})${said === '' ? '' : `: ${said}`}`
        : this.#cli.quote((error as Error).message);
      throw new ColibriError(code, `bw ${label} failed: ${why}${hint}`, {
        command: `bw ${label}`,
        exitCode: result.exitCode,
      });
    }
    return this.#expect(label, answer, code, hint);
  }

  #send(request: ConnectedRequest): Promise<{ status: number; body: string }> {
    return this.#process.request({
      ...request,
      headers: {
        host: SERVE_HOST,
        accept: 'application/json',
        ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
    });
  }

  /**
   * After a broken or silent connection: how the process ended, waiting a little for its exit
   * (`ended`); one still running then is stopped.
   */
  async #end(): Promise<{ result: CommandResult; ended: boolean }> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), EXIT_WAIT_MS);
    });
    try {
      const result = await Promise.race([this.#process.exited, late]);
      if (result !== undefined) return { result, ended: true };
      return { result: await this.#process.stop(), ended: false };
    } finally {
      clearTimeout(timer);
    }
  }

  #expect(label: string, answer: { status: number; body: string }, code: ErrorCode, hint: string): unknown {
    let json: unknown;
    try {
      json = JSON.parse(answer.body);
    } catch {
      throw new ColibriError(
        'COLIBRI_VAULT_CLI_FAILED',
        `bw serve answered ${label} with HTTP ${answer.status} and no JSON; is the pinned bw version in use?`,
        { command: `bw ${label}`, status: answer.status },
      );
    }
    const envelope = v.safeParse(envelopeSchema, json);
    if (!envelope.success) {
      throw new ColibriError(
        'COLIBRI_VAULT_CLI_FAILED',
        `bw serve answered ${label} with JSON colibri does not understand; is the pinned bw version in use?`,
        { command: `bw ${label}`, status: answer.status },
      );
    }
    if (envelope.output.success && answer.status === 200) return envelope.output.data;
    const said = this.#cli.quote(envelope.output.message ?? '');
    throw new ColibriError(code, `bw ${label} failed${said === '' ? '' : `: ${said}`}${hint}`, {
      command: `bw ${label}`,
      status: answer.status,
      ...(said === '' ? {} : { message: said }),
    });
  }

  #parse<TSchema extends v.GenericSchema>(
    label: string,
    data: unknown,
    schema: TSchema,
  ): v.InferOutput<TSchema> {
    return this.#cli.parse([label], JSON.stringify(data ?? null), schema);
  }
}
