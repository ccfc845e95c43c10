import { type ColibriError, isColibriError } from '@colibri/errors';
import type { AgentRecord, IdPrefixFilter } from '@colibri/store';
import { describe, expect, it } from 'vitest';
import type { Principal } from '../auth/authenticator.js';
import type { App } from './app.js';
import { resolveAgentRef, resolveTaskRef } from './resolve-ref.js';

// The resolution rules over a stand-in store holding fixed ids (real prefix queries run in the
// store's contract suite on both dialects; real requests in test/id-refs.test.ts). Fixed ids are
// what make a real ambiguity at 6+ characters possible here: random UUIDs almost never share one.
const TASKS = [
  { id: 'abcdef01-0000-4000-8000-000000000001', tenant: 'acme' },
  { id: 'abcdef02-0000-4000-8000-000000000002', tenant: 'acme' },
  { id: 'abcdef03-0000-4000-8000-000000000003', tenant: 'globex' },
  { id: '12345678-0000-4000-8000-000000000004', tenant: 'acme' },
];
const AGENTS = [
  { id: 'feed0001-0000-4000-8000-000000000001', name: 'domedog', tenant: null },
  { id: 'feed0002-0000-4000-8000-000000000002', name: 'osa', tenant: null },
  { id: '99990000-0000-4000-8000-000000000003', name: 'feed00', tenant: 'acme' },
] as AgentRecord[];

const seen: IdPrefixFilter[] = [];
const app = {
  store: {
    async findTaskIdsByPrefix(prefix: string, filter: IdPrefixFilter = {}) {
      seen.push(filter);
      return TASKS.filter(
        (t) => t.id.startsWith(prefix) && (filter.tenant === undefined || t.tenant === filter.tenant),
      )
        .map((t) => t.id)
        .slice(0, filter.limit ?? 10);
    },
    async findAgentIdsByPrefix(prefix: string, filter: IdPrefixFilter = {}) {
      return AGENTS.filter((a) => a.id.startsWith(prefix))
        .map((a) => a.id)
        .slice(0, filter.limit ?? 10);
    },
    async findAgentByName(name: string) {
      return AGENTS.find((a) => a.name === name);
    },
    async getAgent(id: string) {
      return AGENTS.find((a) => a.id === id)!;
    },
  },
  dispatcher: { agent: (id: string) => AGENTS.find((a) => a.id === id) },
} as unknown as App;

const operator = { kind: 'operator' } as Principal;
const acmeAgent = { kind: 'agent', agentId: AGENTS[2]!.id, tenant: 'acme' } as Principal;
const sharedAgent = { kind: 'agent', agentId: AGENTS[1]!.id, tenant: null } as Principal;

async function failure(promise: Promise<unknown>): Promise<ColibriError> {
  try {
    await promise;
  } catch (error) {
    if (isColibriError(error)) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('resolveTaskRef', () => {
  it('a whole id is taken as given; a unique prefix of 6 or more is completed', async () => {
    expect(await resolveTaskRef(app, operator, TASKS[0]!.id)).toBe(TASKS[0]!.id);
    expect(await resolveTaskRef(app, operator, '123456')).toBe(TASKS[3]!.id);
    expect(await resolveTaskRef(app, operator, 'abcdef01')).toBe(TASKS[0]!.id);
  });

  it('an ambiguous prefix lists the candidates, short, with a stable code', async () => {
    const error = await failure(resolveTaskRef(app, operator, 'abcdef'));
    expect(error.code).toBe('COLIBRI_AMBIGUOUS_ID');
    expect(error.message).toBe(
      'task id prefix "abcdef" matches several tasks: abcdef01, abcdef02, abcdef03; give more characters',
    );
    expect(error.details).toEqual({
      kind: 'task',
      prefix: 'abcdef',
      candidates: TASKS.slice(0, 3).map((t) => t.id),
    });
  });

  it('an agent sees only what it may read: the ambiguity and the match stay within its tenant', async () => {
    const error = await failure(resolveTaskRef(app, acmeAgent, 'abcdef'));
    expect(error.message).not.toContain('abcdef03');
    expect(seen.at(-1)).toMatchObject({ tenant: 'acme' });
    expect((await failure(resolveTaskRef(app, acmeAgent, 'abcdef03'))).code).toBe('COLIBRI_TASK_NOT_FOUND');
    await resolveTaskRef(app, sharedAgent, 'abcdef03').catch(() => undefined);
    expect(seen.at(-1)).toMatchObject({ assignedAgentId: AGENTS[1]!.id });
  });

  it('too short, unknown, or not an id at all', async () => {
    const short = await failure(resolveTaskRef(app, operator, 'abcde'));
    expect(short.code).toBe('COLIBRI_ID_PREFIX_TOO_SHORT');
    expect(short.message).toBe('task id prefix "abcde" is too short: give at least 6 characters of the id');
    const missing = await failure(resolveTaskRef(app, operator, 'ffffff'));
    expect(missing.code).toBe('COLIBRI_TASK_NOT_FOUND');
    expect(missing.message).toBe('no task id starts with "ffffff"');
    // Not id-shaped: passed on for the store to answer "not found", as before.
    expect(await resolveTaskRef(app, operator, 'render-thumbnails')).toBe('render-thumbnails');
  });
});

describe('resolveAgentRef', () => {
  it('a whole id, a name, or a unique id prefix', async () => {
    expect(await resolveAgentRef(app, operator, AGENTS[0]!.id)).toBe(AGENTS[0]!.id);
    expect(await resolveAgentRef(app, operator, 'osa')).toBe(AGENTS[1]!.id);
    expect(await resolveAgentRef(app, operator, 'feed0001')).toBe(AGENTS[0]!.id);
  });

  it('an exact name wins over an id prefix it also is', async () => {
    expect(await resolveAgentRef(app, operator, 'feed00')).toBe(AGENTS[2]!.id);
  });

  it('ambiguous prefixes name the candidates; short and unknown refs are refused', async () => {
    const error = await failure(resolveAgentRef(app, operator, 'feed000'));
    expect(error.code).toBe('COLIBRI_AMBIGUOUS_ID');
    expect(error.message).toBe(
      'agent id prefix "feed000" matches several agents: feed0001 (domedog), feed0002 (osa); give more characters',
    );
    expect((await failure(resolveAgentRef(app, operator, 'feed'))).code).toBe('COLIBRI_ID_PREFIX_TOO_SHORT');
    const unknown = await failure(resolveAgentRef(app, operator, 'nobody'));
    expect(unknown.code).toBe('COLIBRI_AGENT_NOT_FOUND');
    expect(unknown.message).toBe('no agent is named "nobody" and no agent id starts with it');
  });

  it("an agent's token resolves only to itself; anything else is passed on to be refused as before", async () => {
    expect(await resolveAgentRef(app, sharedAgent, 'osa')).toBe(AGENTS[1]!.id);
    expect(await resolveAgentRef(app, sharedAgent, 'feed0002')).toBe(AGENTS[1]!.id);
    expect(await resolveAgentRef(app, sharedAgent, 'domedog')).toBe('domedog');
    expect(await resolveAgentRef(app, sharedAgent, 'feed0001')).toBe('feed0001');
    expect(await resolveAgentRef(app, sharedAgent, 'feed')).toBe('feed');
  });
});
