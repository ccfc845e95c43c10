import { ColibriError } from '@colibri/errors';
import type { Store } from '@colibri/store';
import { hashToken, sameHash } from './hash-token.js';

/**
 * Who is calling. `unknown` = a well-formed token that is neither the operator's nor an agent's:
 * only registration accepts it, as a candidate one-time join token (the store checks it
 * atomically while registering).
 */
export type Principal =
  | { readonly kind: 'operator' }
  | { readonly kind: 'agent'; readonly agentId: string; readonly tenant: string | null }
  | { readonly kind: 'unknown'; readonly tokenHash: string };

const BEARER = /^Bearer +([\x21-\x7e]{1,1024}) *$/i;

/**
 * Turns an `Authorization: Bearer …` header into a {@link Principal}. Tokens are only ever hashed:
 * the operator's hash is compared in constant time, agents are looked up by hash (cached; a
 * token never changes owner).
 */
export class Authenticator {
  readonly #operatorHash: string;
  readonly #store: Store;
  readonly #agents = new Map<string, { agentId: string; tenant: string | null }>();

  constructor(store: Store, operatorToken: string) {
    this.#store = store;
    this.#operatorHash = hashToken(operatorToken);
  }

  /** The token in the header; `COLIBRI_UNAUTHENTICATED` when missing or malformed. */
  bearer(header: string | undefined): string {
    const token = header === undefined ? undefined : BEARER.exec(header)?.[1];
    if (token === undefined) {
      throw new ColibriError(
        'COLIBRI_UNAUTHENTICATED',
        header === undefined
          ? 'missing "Authorization: Bearer <token>" header: every request needs the operator token ($COLIBRI_HOME/operator.token) or an agent token'
          : 'malformed Authorization header: expected "Bearer <token>"',
      );
    }
    return token;
  }

  /** Who presents `token`. */
  async resolve(token: string): Promise<Principal> {
    const hash = hashToken(token);
    if (sameHash(hash, this.#operatorHash)) return { kind: 'operator' };
    let agent = this.#agents.get(hash);
    if (agent === undefined) {
      const record = await this.#store.findAgentByTokenHash(hash);
      if (record !== undefined) {
        agent = { agentId: record.id, tenant: record.tenant };
        this.#agents.set(hash, agent);
      }
    }
    return agent === undefined ? { kind: 'unknown', tokenHash: hash } : { kind: 'agent', ...agent };
  }

  /** Remembers a token issued just now, so the agent's first request needs no lookup. */
  remember(tokenHash: string, agentId: string, tenant: string | null): void {
    this.#agents.set(tokenHash, { agentId, tenant });
  }

  /**
   * Forgets every cached token of `agentId`: its next request is looked up in the store again.
   * Called when an agent is retired (its token hash is gone from the store, so it is refused at
   * once), and for any agent another daemon reports offline (it may have been retired there).
   */
  forgetAgent(agentId: string): void {
    for (const [hash, agent] of this.#agents) if (agent.agentId === agentId) this.#agents.delete(hash);
  }

  /** Forgets every cached agent token (the change feed missed changes: any agent may be retired). */
  forgetAll(): void {
    this.#agents.clear();
  }
}

/** The 401 for a token nobody issued (or a used/expired join token on a route that takes none). */
export function unknownToken(): ColibriError {
  return new ColibriError(
    'COLIBRI_UNAUTHENTICATED',
    'the bearer token is not valid: it is neither the operator token nor an agent token',
  );
}
