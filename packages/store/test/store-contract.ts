import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type ColibriError, type ErrorCode, isColibriError } from '@colibri/errors';
import { NUL_MESSAGE } from '@colibri/protocol';
import { Migrator } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPostgresAdapter } from '../src/dialect/postgres-adapter.js';
import { createSqliteAdapter } from '../src/dialect/sqlite-adapter.js';
import {
  openStore,
  type RegisterAgentInput,
  type Store,
  type StoreChange,
  type StoreConfig,
} from '../src/index.js';
import { migrationProvider } from '../src/migrations/migration-provider.js';
import { describeClaimContract } from './claim-contract.js';
import { describeRetryContract } from './retry-contract.js';
import { describeSlotsAndPrefixes } from './slots-and-prefixes-contract.js';
import { describeLifecycleContract } from './store-contract-lifecycle.js';

const WORKER = fileURLToPath(new URL('./store-worker.mjs', import.meta.url));

/** What each dialect's test file supplies: a fresh, empty database per test. */
export interface ContractHarness {
  /** A config pointing at a new empty database. */
  freshConfig(): Promise<StoreConfig>;
  /** Runs raw SQL on the database behind `config` outside the store (to probe database-level guards). */
  rawExec(config: StoreConfig, sqlText: string): Promise<void>;
  /** True when the driver's change feed delivers changes (PostgreSQL); false when it never fires (SQLite). */
  readonly liveChangeFeed: boolean;
}

async function expectCode(
  promise: Promise<unknown>,
  code: ErrorCode,
  message?: RegExp,
): Promise<ColibriError> {
  try {
    await promise;
  } catch (error) {
    if (!isColibriError(error, code)) throw error;
    if (message) expect(error.message).toMatch(message);
    // The store never names a CLI command or flag: the CLI adds such hints at its edge.
    expect(error.message).not.toMatch(/\bcolibri [a-z]|\s--[a-z]/);
    return error;
  }
  throw new Error(`expected ${code}, but the call succeeded`);
}

function runWorker(mode: string, config: StoreConfig, arg: unknown): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WORKER, mode, JSON.stringify(config), JSON.stringify(arg)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: unknown[] = [];
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    createInterface({ input: child.stdout }).on('line', (line) => lines.push(JSON.parse(line)));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(lines) : reject(new Error(`worker exited ${code}: ${stderr}`)),
    );
  });
}

const HOUR = 3_600_000;

/** Waits until `check()` holds (the bound is a failure guard, not an assertion on time). */
async function waitFor(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The one contract every store driver must pass. */
export function describeStoreContract(name: string, harness: ContractHarness): void {
  describe(`store contract: ${name}`, () => {
    let config: StoreConfig;
    let store: Store;
    const lease = () => new Date(Date.now() + HOUR);

    describeRetryContract(() => harness.freshConfig());

    beforeEach(async () => {
      config = await harness.freshConfig();
      store = await openStore(config);
    });
    afterEach(async () => {
      await store.close();
    });

    const media = () =>
      store.registerAgent({
        name: 'domedog',
        host: 'domedog',
        capabilities: ['linux', 'python3.12', 'rust', 'go', 'node', 'ffmpeg', 'image-render'],
      });

    describe('opening', () => {
      it('answers a ping', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
      });

      it('applies migrations once and reopens an existing database', async () => {
        await media();
        const again = await openStore(config);
        try {
          expect((await again.listAgents()).map((a) => a.name)).toEqual(['domedog']);
        } finally {
          await again.close();
        }
      });

      it('counts the write transactions it committed, not reads nor refused writes', async () => {
        expect(store.committedTransactions).toBe(0);
        const agent = await media();
        await store.recordHeartbeat(agent.id, {});
        expect(store.committedTransactions).toBe(2);
        await store.getAgent(agent.id);
        await store.listTasks();
        await expectCode(store.recordHeartbeat('nope', {}), 'COLIBRI_AGENT_NOT_FOUND');
        expect(store.committedTransactions).toBe(2);
      });

      it('several processes opening a new database at once all succeed', async () => {
        const fresh = await harness.freshConfig();
        const results = await Promise.all(
          [1, 2, 3, 4].map(() => runWorker('race', fresh, { startAt: 0, agentId: 'x', taskIds: [] })),
        );
        expect(results).toHaveLength(4);
      });
    });

    describe('agents', () => {
      it('registers an idle agent with its tags and finds it by id and name', async () => {
        const agent = await media();
        expect(agent).toMatchObject({ name: 'domedog', status: 'idle', tenant: null, lastHeartbeatAt: null });
        expect(agent.capabilities).toContain('image-render');
        expect(await store.getAgent(agent.id)).toEqual(agent);
        expect(await store.findAgentByName('domedog')).toEqual(agent);
        expect(await store.findAgentByName('nobody')).toBeUndefined();
      });

      it('refuses a taken name and changes nothing', async () => {
        await media();
        await expectCode(media(), 'COLIBRI_AGENT_NAME_TAKEN', /domedog/);
        expect(await store.listAgents()).toHaveLength(1);
      });

      it('refuses malformed names and capability lists, naming the problem', async () => {
        await expectCode(
          store.registerAgent({ name: 'x', capabilities: ['linux', 'Linux'] }),
          'COLIBRI_INVALID_CAPABILITY',
          /capabilities\[1\].*"Linux"/,
        );
        await expectCode(
          store.registerAgent({ name: 'x', capabilities: 'linux' as never }),
          'COLIBRI_INVALID_CAPABILITY',
          /list of tags/,
        );
        await expectCode(
          store.registerAgent({ name: '../etc', capabilities: [] }),
          'COLIBRI_INVALID_INPUT',
          /name/,
        );
        await expectCode(
          store.registerAgent({ name: 'ok', capabilities: [], tenant: 'Bad Tenant' }),
          'COLIBRI_INVALID_INPUT',
          /tenant/,
        );
        expect(await store.listAgents()).toHaveLength(0);
      });

      it('unknown or malformed ids are not found', async () => {
        await expectCode(store.getAgent('00000000-0000-4000-8000-000000000000'), 'COLIBRI_AGENT_NOT_FOUND');
        await expectCode(store.getAgent("1' or '1'='1"), 'COLIBRI_AGENT_NOT_FOUND');
        await expectCode(store.recordHeartbeat('nope'), 'COLIBRI_AGENT_NOT_FOUND');
      });

      it('updates tags and filters by status and tenant', async () => {
        const a = await media();
        await store.registerAgent({ name: 'acme-agent', capabilities: ['linux'], tenant: 'acme' });
        expect((await store.updateAgentCapabilities(a.id, ['linux', 'gpu'])).capabilities).toEqual([
          'linux',
          'gpu',
        ]);
        await expectCode(store.updateAgentCapabilities(a.id, ['GPU']), 'COLIBRI_INVALID_CAPABILITY');
        expect((await store.getAgent(a.id)).capabilities).toEqual(['linux', 'gpu']);
        expect((await store.listAgents({ tenant: 'acme' })).map((x) => x.name)).toEqual(['acme-agent']);
        expect((await store.listAgents({ tenant: null })).map((x) => x.name)).toEqual(['domedog']);
        expect(await store.listAgents({ status: 'offline' })).toEqual([]);
      });
    });

    describe('skills', () => {
      const screenshot = {
        name: 'tmux-screenshot',
        description: 'Screenshot a tmux pane',
        requiredCapabilities: ['screenshot', 'image-render'],
        payloadSchema: { type: 'object', required: ['pane'], properties: { pane: { type: 'string' } } },
        timeoutSeconds: 30,
        digest: '0123456789ab',
      };

      it('keeps the skills an agent offers and declines, and replaces them only when asked', async () => {
        const agent = await store.registerAgent({
          name: 'osa',
          capabilities: ['screenshot', 'image-render'],
          skills: [screenshot],
          declinedSkills: [
            { name: 'gpu-render', missing: ['gpu'], reason: 'this agent does not advertise gpu' },
          ],
        });
        expect(agent.skills).toEqual([screenshot]);
        expect(agent.declinedSkills).toEqual([
          { name: 'gpu-render', missing: ['gpu'], reason: 'this agent does not advertise gpu' },
        ]);
        expect((await store.getAgent(agent.id)).skills).toEqual([screenshot]);
        expect(
          (await store.updateAgentCapabilities(agent.id, ['screenshot', 'image-render', 'x'])).skills,
        ).toEqual([screenshot]);
        const cleared = await store.updateAgentCapabilities(agent.id, ['x'], {
          skills: [],
          declinedSkills: [],
        });
        expect(cleared).toMatchObject({ capabilities: ['x'], skills: [], declinedSkills: [] });
        expect((await media()).skills).toEqual([]);
      });

      it('refuses a skill listed twice or without a digest, and changes nothing', async () => {
        await expectCode(
          store.registerAgent({ name: 'osa', capabilities: [], skills: [screenshot, screenshot] }),
          'COLIBRI_INVALID_INPUT',
          /twice/,
        );
        await expectCode(
          store.registerAgent({ name: 'osa', capabilities: [], skills: [{ ...screenshot, digest: 'x' }] }),
          'COLIBRI_INVALID_INPUT',
          /digest/,
        );
        expect(await store.listAgents()).toHaveLength(0);
      });

      it('a task keeps the skill it asks for, with or without a digest', async () => {
        const pinned = await store.intakeTask({
          title: 'shot',
          requiredCapabilities: ['screenshot'],
          skill: { name: 'tmux-screenshot', digest: '0123456789ab' },
        });
        expect((await store.getTask(pinned.id)).skill).toEqual({
          name: 'tmux-screenshot',
          digest: '0123456789ab',
        });
        const loose = await store.intakeTask({
          title: 'shot',
          requiredCapabilities: [],
          skill: { name: 'tmux-screenshot', digest: null },
        });
        expect(loose.skill).toEqual({ name: 'tmux-screenshot', digest: null });
        expect((await store.intakeTask({ title: 'plain', requiredCapabilities: [] })).skill).toBeNull();
      });

      it('assigns a skill task only to an agent offering that skill (and that manifest when pinned)', async () => {
        const offering = await store.registerAgent({
          name: 'osa',
          capabilities: ['screenshot', 'image-render'],
          skills: [screenshot],
        });
        const other = await store.registerAgent({
          name: 'debby',
          capabilities: ['screenshot', 'image-render'],
          skills: [{ ...screenshot, digest: 'ba9876543210' }],
        });
        const bare = await store.registerAgent({
          name: 'bare',
          capabilities: ['screenshot', 'image-render'],
        });
        const task = await store.intakeTask({
          title: 'shot',
          requiredCapabilities: ['screenshot'],
          skill: { name: 'tmux-screenshot', digest: '0123456789ab' },
        });
        const assign = (agentId: string) =>
          store.assignTask({ taskId: task.id, agentId, expectedAttempt: 0, leaseExpiresAt: lease() });
        await expectCode(
          assign(bare.id),
          'COLIBRI_AGENT_NOT_ELIGIBLE',
          /does not offer skill tmux-screenshot/,
        );
        await expectCode(assign(other.id), 'COLIBRI_AGENT_NOT_ELIGIBLE', /another manifest/);
        expect((await store.getTask(task.id)).status).toBe('parked');
        expect(await assign(offering.id)).toMatchObject({ status: 'assigned', assignedAgentId: offering.id });
      });
    });

    describe('authentication', () => {
      const hash = (seed: string) => createHash('sha256').update(seed).digest('hex');
      const inAnHour = () => new Date(Date.now() + HOUR);

      it('finds an agent by the hash of its token, and never by anything else', async () => {
        const agent = await store.registerAgent({
          name: 'acme-1',
          capabilities: ['linux'],
          tokenHash: hash('a'),
        });
        expect(await store.findAgentByTokenHash(hash('a'))).toEqual(agent);
        expect(await store.findAgentByTokenHash(hash('b'))).toBeUndefined();
        expect(await store.findAgentByTokenHash('a')).toBeUndefined();
        expect(await store.findAgentByTokenHash("' or 1=1 --")).toBeUndefined();
        expect(agent).not.toHaveProperty('tokenHash');
      });

      it('refuses a raw token or a hash already in use, changing nothing', async () => {
        await expectCode(
          store.registerAgent({ name: 'x', capabilities: [], tokenHash: 'my-secret-token' }),
          'COLIBRI_INVALID_INPUT',
          /tokenHash.*sha256/,
        );
        await store.registerAgent({ name: 'one', capabilities: [], tokenHash: hash('same') });
        await expectCode(
          store.registerAgent({ name: 'two', capabilities: [], tokenHash: hash('same') }),
          'COLIBRI_INVALID_INPUT',
          /token hash/,
        );
        expect((await store.listAgents()).map((a) => a.name)).toEqual(['one']);
      });

      it('a join token registers one agent into its tenant, once', async () => {
        const created = await store.createJoinToken({
          tokenHash: hash('join'),
          tenant: 'acme',
          expiresAt: inAnHour(),
        });
        expect(created).toMatchObject({ tenant: 'acme', usedAt: null, usedByAgentId: null });
        const agent = await store.registerAgentWithJoinToken({
          tokenHash: hash('join'),
          agent: { name: 'acme-1', capabilities: ['linux'], tokenHash: hash('agent') },
        });
        expect(agent).toMatchObject({ name: 'acme-1', tenant: 'acme', status: 'idle' });
        expect(await store.findJoinToken(hash('join'))).toMatchObject({
          tenant: 'acme',
          usedByAgentId: agent.id,
        });
        expect((await store.findJoinToken(hash('join')))?.usedAt).toBeInstanceOf(Date);
        expect(await store.findJoinToken(hash('other'))).toBeUndefined();
        expect(await store.findJoinToken('raw')).toBeUndefined();
        expect((await store.findAgentByTokenHash(hash('agent')))?.id).toBe(agent.id);
        await expectCode(
          store.registerAgentWithJoinToken({
            tokenHash: hash('join'),
            agent: { name: 'acme-2', capabilities: ['linux'], tokenHash: hash('agent2') },
          }),
          'COLIBRI_JOIN_TOKEN_INVALID',
          /already used/,
        );
        expect((await store.listAgents()).map((a) => a.name)).toEqual(['acme-1']);
      });

      it('refuses unknown, expired and cross-tenant uses; a failed registration keeps the token unused', async () => {
        await store.createJoinToken({
          tokenHash: hash('old'),
          tenant: 'acme',
          expiresAt: new Date(Date.now() - 1),
        });
        await store.createJoinToken({ tokenHash: hash('j'), tenant: 'acme', expiresAt: inAnHour() });
        const use = (tokenHash: string, agent: Partial<RegisterAgentInput> = {}) =>
          store.registerAgentWithJoinToken({
            tokenHash,
            agent: { name: 'acme-1', capabilities: [], ...agent },
          });
        await expectCode(use(hash('nope')), 'COLIBRI_JOIN_TOKEN_INVALID', /not valid/);
        await expectCode(use(hash('old')), 'COLIBRI_JOIN_TOKEN_INVALID', /expired/);
        await expectCode(use('raw-token'), 'COLIBRI_INVALID_INPUT', /tokenHash/);
        await expectCode(use(hash('j'), { tenant: 'globex' }), 'COLIBRI_FORBIDDEN', /tenant acme only/);
        await expectCode(use(hash('j'), { tenant: null }), 'COLIBRI_FORBIDDEN');
        await media();
        await expectCode(use(hash('j'), { name: 'domedog' }), 'COLIBRI_AGENT_NAME_TAKEN');
        expect((await store.listAgents()).map((a) => a.name)).toEqual(['domedog']);
        // Still usable after all those failures, with the tenant spelled out or left to the token.
        expect((await use(hash('j'), { tenant: 'acme' })).tenant).toBe('acme');
      });

      it('racing uses of one join token register exactly one agent', async () => {
        await store.createJoinToken({ tokenHash: hash('race'), tenant: 'acme', expiresAt: inAnHour() });
        const results = await Promise.allSettled(
          [1, 2, 3, 4, 5].map((i) =>
            store.registerAgentWithJoinToken({
              tokenHash: hash('race'),
              agent: { name: `acme-${i}`, capabilities: [], tokenHash: hash(`agent-${i}`) },
            }),
          ),
        );
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of results) {
          if (r.status === 'rejected')
            expect(isColibriError(r.reason, 'COLIBRI_JOIN_TOKEN_INVALID')).toBe(true);
        }
        expect(await store.listAgents()).toHaveLength(1);
      });

      it('refuses malformed join tokens', async () => {
        await expectCode(
          store.createJoinToken({ tokenHash: hash('x'), tenant: '../etc', expiresAt: inAnHour() }),
          'COLIBRI_INVALID_INPUT',
          /tenant/,
        );
        await expectCode(
          store.createJoinToken({ tokenHash: 'raw', tenant: 'acme', expiresAt: inAnHour() }),
          'COLIBRI_INVALID_INPUT',
          /tokenHash/,
        );
        await store.createJoinToken({ tokenHash: hash('x'), tenant: 'acme', expiresAt: inAnHour() });
        await expectCode(
          store.createJoinToken({ tokenHash: hash('x'), tenant: 'acme', expiresAt: inAnHour() }),
          'COLIBRI_INVALID_INPUT',
          /already stored/,
        );
      });

      it('remembers every tag ever advertised, even after an agent drops it', async () => {
        const agent = await store.registerAgent({ name: 'a', capabilities: ['linux', 'gpu'] });
        await store.updateAgentCapabilities(agent.id, ['linux', 'screenshot']);
        expect(await store.listAdvertisedTags()).toEqual(['gpu', 'linux', 'screenshot']);
      });
    });

    describe('retirement and lineage', () => {
      const hash = (seed: string) => createHash('sha256').update(seed).digest('hex');
      const inAnHour = () => new Date(Date.now() + HOUR);
      const NO_SUCH_AGENT = '00000000-0000-4000-8000-000000000000';

      it('retiring hands back its tasks like going offline, revokes its token and frees its name', async () => {
        const agent = await store.registerAgent({
          name: 'acme-1',
          capabilities: ['linux'],
          tenant: 'acme',
          tokenHash: hash('acme-1'),
        });
        const t1 = await store.intakeTask({ title: 'a', requiredCapabilities: [], tenant: 'acme' });
        const t2 = await store.intakeTask({
          title: 'b',
          requiredCapabilities: [],
          tenant: 'acme',
          maxAttempts: 1,
        });
        for (const t of [t1, t2]) {
          await store.assignTask({
            taskId: t.id,
            agentId: agent.id,
            expectedAttempt: 0,
            leaseExpiresAt: lease(),
          });
        }
        await store.transitionTask({ taskId: t1.id, to: 'running', agentId: agent.id, attempt: 1 });

        const result = await store.retireAgent(agent.id, { reason: 'jail destroyed' });
        expect(result.agent).toMatchObject({
          id: agent.id,
          name: 'acme-1',
          status: 'offline',
          tenant: 'acme',
        });
        expect(result.agent.retiredAt).toBeInstanceOf(Date);
        expect(result.agent.retiredReason).toBe('jail destroyed');
        expect(result.requeued.map((t) => t.id)).toEqual([t1.id]);
        expect(result.failed.map((t) => t.id)).toEqual([t2.id]);
        expect(await store.getTask(t1.id)).toMatchObject({ status: 'parked', assignedAgentId: null });
        expect((await store.listTaskEvents(t1.id)).at(-1)).toMatchObject({
          from: 'running',
          to: 'parked',
          reason: 'agent retired: jail destroyed',
        });

        // Gone from every lookup but getAgent; its token finds nothing.
        expect(await store.getAgent(agent.id)).toEqual(result.agent);
        expect(await store.findAgentByName('acme-1')).toBeUndefined();
        expect(await store.findAgentByTokenHash(hash('acme-1'))).toBeUndefined();
        expect(await store.listAgents()).toEqual([]);
        expect(await store.listAgents({ tenant: 'acme', status: 'offline' })).toEqual([]);
        expect(await store.listAgents({ includeRetired: true })).toEqual([result.agent]);
        expect(await store.countAgentsByStatus()).toEqual({ idle: 0, active: 0, offline: 0 });

        // It never comes back, and cannot be given work.
        await expectCode(store.recordHeartbeat(agent.id), 'COLIBRI_AGENT_RETIRED', /acme-1.*retired/);
        await expectCode(store.updateAgentCapabilities(agent.id, ['gpu']), 'COLIBRI_AGENT_RETIRED');
        await expectCode(
          store.assignTask({ taskId: t1.id, agentId: agent.id, expectedAttempt: 1, leaseExpiresAt: lease() }),
          'COLIBRI_AGENT_NOT_ELIGIBLE',
          /retired/,
        );
        expect((await store.getAgent(agent.id)).status).toBe('offline');

        // The name is free again; the retired one is still listed under it on request.
        const successor = await store.registerAgent({ name: 'acme-1', capabilities: [], tenant: 'acme' });
        expect(await store.findAgentByName('acme-1')).toEqual(successor);
        expect(
          (await store.listAgents({ includeRetired: true })).map((a) => [a.name, a.retiredAt !== null]),
        ).toEqual(
          expect.arrayContaining([
            ['acme-1', true],
            ['acme-1', false],
          ]),
        );
        expect((await store.listAgents()).map((a) => a.id)).toEqual([successor.id]);
      });

      it('retiring is idempotent: a second retire changes nothing and hands back nothing', async () => {
        const agent = await media();
        const first = await store.retireAgent(agent.id, { reason: 'first' });
        const task = await store.intakeTask({ title: 'x', requiredCapabilities: [] });
        const again = await store.retireAgent(agent.id, { reason: 'second' });
        expect(again).toEqual({ agent: first.agent, requeued: [], failed: [] });
        expect(again.agent.retiredReason).toBe('first');
        expect((await store.getTask(task.id)).status).toBe('parked');
      });

      it('refuses unknown agents and a missing reason, changing nothing', async () => {
        const agent = await media();
        await expectCode(store.retireAgent(NO_SUCH_AGENT, { reason: 'x' }), 'COLIBRI_AGENT_NOT_FOUND');
        await expectCode(store.retireAgent('nope', { reason: 'x' }), 'COLIBRI_AGENT_NOT_FOUND');
        await expectCode(store.retireAgent(agent.id, { reason: '  ' }), 'COLIBRI_INVALID_INPUT', /reason/);
        await expectCode(store.retireAgent(agent.id, {} as never), 'COLIBRI_INVALID_INPUT', /reason/);
        expect((await store.getAgent(agent.id)).retiredAt).toBeNull();
        expect(await store.findAgentByName('domedog')).toEqual(agent);
      });

      it('a revoked join token registers nothing; revoking is idempotent and never touches a used token', async () => {
        await store.createJoinToken({ tokenHash: hash('j1'), tenant: 'acme', expiresAt: inAnHour() });
        expect(await store.revokeJoinToken(hash('j1'))).toBe(true);
        const revoked = await store.findJoinToken(hash('j1'));
        expect(revoked?.revokedAt).toBeInstanceOf(Date);
        expect(revoked?.usedAt).toBeNull();
        await expectCode(
          store.registerAgentWithJoinToken({
            tokenHash: hash('j1'),
            agent: { name: 'acme-1', capabilities: [] },
          }),
          'COLIBRI_JOIN_TOKEN_INVALID',
          /revoked/,
        );
        expect(await store.revokeJoinToken(hash('j1'))).toBe(false);
        expect(await store.revokeJoinToken(hash('unknown'))).toBe(false);

        await store.createJoinToken({ tokenHash: hash('j2'), tenant: 'acme', expiresAt: inAnHour() });
        const agent = await store.registerAgentWithJoinToken({
          tokenHash: hash('j2'),
          agent: { name: 'acme-2', capabilities: [] },
        });
        expect(await store.revokeJoinToken(hash('j2'))).toBe(false);
        expect(await store.findJoinToken(hash('j2'))).toMatchObject({
          usedByAgentId: agent.id,
          revokedAt: null,
        });
        expect((await store.listAgents()).map((a) => a.name)).toEqual(['acme-2']);
        await expectCode(store.revokeJoinToken('raw-token'), 'COLIBRI_INVALID_INPUT', /tokenHash/);
      });

      it('a join token carries its lineage to the agent it registers; children are counted while alive', async () => {
        const mother = await store.registerAgent({ name: 'mother', capabilities: [], tenant: 'acme' });
        expect(mother).toMatchObject({ spawnedBy: null, spawnDepth: 0, retiredAt: null });
        const token = await store.createJoinToken({
          tokenHash: hash('child'),
          tenant: 'acme',
          expiresAt: inAnHour(),
          spawnedBy: mother.id,
        });
        expect(token).toMatchObject({ spawnedBy: mother.id, spawnDepth: 1, revokedAt: null });
        const child = await store.registerAgentWithJoinToken({
          tokenHash: hash('child'),
          agent: { name: 'child', capabilities: [] },
        });
        expect(child).toMatchObject({ tenant: 'acme', spawnedBy: mother.id, spawnDepth: 1 });
        expect(await store.countChildren(mother.id)).toBe(1);
        expect(await store.countChildren(child.id)).toBe(0);

        await store.createJoinToken({
          tokenHash: hash('grandchild'),
          tenant: 'acme',
          expiresAt: inAnHour(),
          spawnedBy: child.id,
          spawnDepth: 2,
        });
        const grandchild = await store.registerAgentWithJoinToken({
          tokenHash: hash('grandchild'),
          agent: { name: 'grandchild', capabilities: [] },
        });
        expect(grandchild).toMatchObject({ spawnedBy: child.id, spawnDepth: 2 });
        expect(await store.countChildren(mother.id)).toBe(1);

        await store.retireAgent(child.id, { reason: 'destroyed' });
        expect(await store.countChildren(mother.id)).toBe(0);
        expect((await store.getAgent(child.id)).spawnedBy).toBe(mother.id);
        // An operator's token carries no lineage.
        await store.createJoinToken({ tokenHash: hash('plain'), tenant: 'acme', expiresAt: inAnHour() });
        const plain = await store.registerAgentWithJoinToken({
          tokenHash: hash('plain'),
          agent: { name: 'plain', capabilities: [] },
        });
        expect(plain).toMatchObject({ spawnedBy: null, spawnDepth: 0 });
        await expectCode(store.countChildren('nope'), 'COLIBRI_AGENT_NOT_FOUND');
      });

      it('refuses lineage it cannot vouch for: a wrong depth, an unknown or retired mother', async () => {
        const mother = await store.registerAgent({ name: 'mother', capabilities: [], tenant: 'acme' });
        const create = (seed: string, extra: { spawnedBy?: string; spawnDepth?: number }) =>
          store.createJoinToken({ tokenHash: hash(seed), tenant: 'acme', expiresAt: inAnHour(), ...extra });
        await expectCode(
          create('a', { spawnedBy: mother.id, spawnDepth: 0 }),
          'COLIBRI_INVALID_INPUT',
          /depth 1, not 0/,
        );
        await expectCode(create('b', { spawnDepth: 3 }), 'COLIBRI_INVALID_INPUT', /depth 0, not 3/);
        await expectCode(create('c', { spawnedBy: NO_SUCH_AGENT }), 'COLIBRI_AGENT_NOT_FOUND');
        await expectCode(create('d', { spawnedBy: 'mother' }), 'COLIBRI_INVALID_INPUT', /spawnedBy/);
        await expectCode(create('e', { spawnedBy: mother.id, spawnDepth: -1 }), 'COLIBRI_INVALID_INPUT');
        await store.retireAgent(mother.id, { reason: 'gone' });
        await expectCode(create('f', { spawnedBy: mother.id }), 'COLIBRI_AGENT_RETIRED');
        for (const seed of ['a', 'b', 'c', 'd', 'e', 'f'])
          expect(await store.findJoinToken(hash(seed))).toBeUndefined();
      });
      it('agents and join tokens from before migration 0005 have no lineage and are not retired', async () => {
        const fresh = await harness.freshConfig();
        const adapter =
          fresh.driver === 'sqlite' ? createSqliteAdapter(fresh) : await createPostgresAdapter(fresh);
        const all = await migrationProvider(adapter.driver).getMigrations();
        const { error } = await new Migrator({
          db: adapter.db,
          provider: {
            getMigrations: async () =>
              Object.fromEntries(Object.entries(all).filter(([name]) => name < '0005')),
          },
        }).migrateToLatest();
        await adapter.db.destroy();
        expect(error).toBeUndefined();
        const at = "'2026-01-01T00:00:00.000Z'";
        await harness.rawExec(
          fresh,
          `insert into agents (id, name, host, capabilities, status, tenant, registered_at, token_hash) values
           ('11111111-1111-4111-8111-111111111111', 'old', null, '[]', 'idle', 'acme', ${at}, '${hash('old')}');
           insert into join_tokens (token_hash, tenant, expires_at, created_at) values
           ('${hash('old-join')}', 'acme', '2999-01-01T00:00:00.000Z', ${at})`,
        );
        const migrated = await openStore(fresh);
        try {
          expect(await migrated.findAgentByName('old')).toMatchObject({
            spawnedBy: null,
            spawnDepth: 0,
            retiredAt: null,
          });
          const joined = await migrated.registerAgentWithJoinToken({
            tokenHash: hash('old-join'),
            agent: { name: 'new', capabilities: [] },
          });
          expect(joined).toMatchObject({ tenant: 'acme', spawnedBy: null, spawnDepth: 0 });
          await migrated.retireAgent('11111111-1111-4111-8111-111111111111', { reason: 'old' });
          expect((await migrated.listAgents()).map((a) => a.name)).toEqual(['new']);
        } finally {
          await migrated.close();
        }
      });
    });

    describe('counts', () => {
      it('counts agents and tasks by status, every status present, optionally per tenant', async () => {
        const zeroTasks = {
          parked: 0,
          assigned: 0,
          running: 0,
          done: 0,
          failed: 0,
          cancelled: 0,
          expired: 0,
        };
        expect(await store.countTasksByStatus()).toEqual(zeroTasks);
        expect(await store.countAgentsByStatus()).toEqual({ idle: 0, active: 0, offline: 0 });
        const agent = await media();
        await store.registerAgent({ name: 'acme-1', capabilities: ['linux'], tenant: 'acme' });
        await store.intakeTask({ title: 'a', requiredCapabilities: [], tenant: 'acme' });
        const t = await store.intakeTask({ title: 'b', requiredCapabilities: [] });
        await store.assignTask({
          taskId: t.id,
          agentId: agent.id,
          expectedAttempt: 0,
          leaseExpiresAt: lease(),
        });
        expect(await store.countTasksByStatus()).toEqual({ ...zeroTasks, parked: 1, assigned: 1 });
        expect(await store.countTasksByStatus({ tenant: 'acme' })).toEqual({ ...zeroTasks, parked: 1 });
        expect(await store.countTasksByStatus({ tenant: null })).toEqual({ ...zeroTasks, assigned: 1 });
        expect(await store.countTasksByStatus({ assignedAgentId: agent.id })).toEqual({
          ...zeroTasks,
          assigned: 1,
        });
        expect(await store.countTasksByStatus({ assignedAgentId: agent.id, tenant: 'acme' })).toEqual(
          zeroTasks,
        );
        expect(await store.countAgentsByStatus()).toEqual({ idle: 1, active: 1, offline: 0 });
        expect(await store.countAgentsByStatus({ tenant: 'acme' })).toEqual({
          idle: 1,
          active: 0,
          offline: 0,
        });
      });

      it('counts every task by status exactly while the largest status changes from call to call', async () => {
        const agent = await media();
        const ids = (
          await store.intakeTasks(
            Array.from({ length: 7 }, (_, i) => ({ title: `t${i}`, requiredCapabilities: [] })),
          )
        ).map((task) => task.id);
        const zero = { parked: 0, assigned: 0, running: 0, done: 0, failed: 0, cancelled: 0, expired: 0 };
        expect(await store.countTasksByStatus()).toEqual({ ...zero, parked: 7 });
        // Most of them leave parked: the next count has another largest status than the last one.
        for (const id of ids.slice(0, 5)) await store.transitionTask({ taskId: id, to: 'cancelled' });
        expect(await store.countTasksByStatus()).toEqual({ ...zero, parked: 2, cancelled: 5 });
        await store.assignTask({
          taskId: ids[5]!,
          agentId: agent.id,
          expectedAttempt: 0,
          leaseExpiresAt: lease(),
        });
        expect(await store.countTasksByStatus()).toEqual({ ...zero, parked: 1, assigned: 1, cancelled: 5 });
        expect(await store.countTasksByStatus()).toEqual({ ...zero, parked: 1, assigned: 1, cancelled: 5 });
      });
    });

    describe('tasks', () => {
      it('intake parks the task with attempt 0 and an intake event', async () => {
        const task = await store.intakeTask({
          title: 'render',
          requiredCapabilities: ['image-render'],
          priority: 5,
        });
        expect(task).toMatchObject({
          status: 'parked',
          attempt: 0,
          maxAttempts: 3,
          priority: 5,
          payload: null,
        });
        const events = await store.listTaskEvents(task.id);
        expect(events).toMatchObject([{ from: null, to: 'parked', attempt: 0, reason: 'intake' }]);
      });

      it.each([
        ['a string', 'hello'],
        ['a number', 42.5],
        ['an object', { a: [1, { b: null }], ü: '✓' }],
        ['an array', [1, 'two']],
        ['null', null],
      ])('round-trips %s as payload and result', async (_, value) => {
        const task = await store.intakeTask({ title: 't', requiredCapabilities: [], payload: value });
        expect((await store.getTask(task.id)).payload).toEqual(value);
        const agent = await media();
        await store.assignTask({
          taskId: task.id,
          agentId: agent.id,
          expectedAttempt: 0,
          leaseExpiresAt: lease(),
        });
        const done = await store.transitionTask({ taskId: task.id, to: 'done', result: value });
        expect(done.result).toEqual(value);
      });

      it('refuses bad intake input and stores nothing', async () => {
        const cases: [unknown, ErrorCode, RegExp][] = [
          [{ title: '', requiredCapabilities: [] }, 'COLIBRI_INVALID_INPUT', /title/],
          [{ title: 't', requiredCapabilities: ['linux', 'linux'] }, 'COLIBRI_INVALID_CAPABILITY', /twice/],
          [{ title: 't', requiredCapabilities: [], priority: 1.5 }, 'COLIBRI_INVALID_INPUT', /priority/],
          [{ title: 't', requiredCapabilities: [], priority: 10_000 }, 'COLIBRI_INVALID_INPUT', /priority/],
          [{ title: 't', requiredCapabilities: [], maxAttempts: 0 }, 'COLIBRI_INVALID_INPUT', /maxAttempts/],
          [{ title: 't', requiredCapabilities: [], payload: 10n }, 'COLIBRI_INVALID_INPUT', /payload.*JSON/],
          [
            { title: 't', requiredCapabilities: [], payload: 'x'.repeat(1_100_000) },
            'COLIBRI_INVALID_INPUT',
            /limit/,
          ],
          [{ title: 't', requiredCapabilities: [], tenant: '../x' }, 'COLIBRI_INVALID_INPUT', /tenant/],
          [{ requiredCapabilities: [] }, 'COLIBRI_INVALID_INPUT', /title/],
        ];
        for (const [input, code, message] of cases) {
          await expectCode(store.intakeTask(input as never), code, message);
        }
        expect(await store.listTasks()).toEqual([]);
      });

      it('lists in dispatch order: highest priority first, then oldest', async () => {
        const t0 = Date.now();
        const at = (ms: number) => new Date(t0 + ms);
        const low = await store.intakeTask({
          title: 'low',
          requiredCapabilities: [],
          priority: 0,
          at: at(0),
        });
        const highNew = await store.intakeTask({
          title: 'high new',
          requiredCapabilities: [],
          priority: 9,
          at: at(2),
        });
        const highOld = await store.intakeTask({
          title: 'high old',
          requiredCapabilities: [],
          priority: 9,
          at: at(1),
        });
        expect((await store.listTasks({ status: 'parked' })).map((t) => t.id)).toEqual([
          highOld.id,
          highNew.id,
          low.id,
        ]);
        expect(await store.listTasks({ status: 'done' })).toEqual([]);
      });
    });

    describe('assignment', () => {
      it('parked → assigned bumps the attempt (the fencing token) and makes the agent active', async () => {
        const agent = await media();
        const task = await store.intakeTask({ title: 'render', requiredCapabilities: ['image-render'] });
        const assigned = await store.assignTask({
          taskId: task.id,
          agentId: agent.id,
          expectedAttempt: 0,
          leaseExpiresAt: lease(),
          reason: 'best fit',
        });
        expect(assigned).toMatchObject({ status: 'assigned', attempt: 1, assignedAgentId: agent.id });
        expect((await store.getAgent(agent.id)).status).toBe('active');
        expect((await store.countActiveTasksByAgent()).get(agent.id)).toBe(1);
        expect((await store.listTaskEvents(task.id)).at(-1)).toMatchObject({
          from: 'parked',
          to: 'assigned',
          agentId: agent.id,
          attempt: 1,
          reason: 'best fit',
        });
      });

      it('a second assignment and a stale expected attempt are refused, changing nothing', async () => {
        const agent = await media();
        const task = await store.intakeTask({ title: 'render', requiredCapabilities: [] });
        await store.assignTask({
          taskId: task.id,
          agentId: agent.id,
          expectedAttempt: 0,
          leaseExpiresAt: lease(),
        });
        const before = await store.getTask(task.id);
        await expectCode(
          store.assignTask({
            taskId: task.id,
            agentId: agent.id,
            expectedAttempt: 0,
            leaseExpiresAt: lease(),
          }),
          'COLIBRI_ILLEGAL_TRANSITION',
          /not parked/,
        );
        await store.transitionTask({ taskId: task.id, to: 'parked', reason: 'handed back' });
        await expectCode(
          store.assignTask({
            taskId: task.id,
            agentId: agent.id,
            expectedAttempt: 0,
            leaseExpiresAt: lease(),
          }),
          'COLIBRI_STALE_ATTEMPT',
        );
        expect((await store.getTask(task.id)).attempt).toBe(before.attempt);
      });

      it('re-checks eligibility: missing tags, offline agents and foreign tenants are refused', async () => {
        const shared = await media();
        const acme = await store.registerAgent({ name: 'acme-1', capabilities: ['linux'], tenant: 'acme' });
        const other = await store.registerAgent({
          name: 'globex-1',
          capabilities: ['linux'],
          tenant: 'globex',
        });
        const screenshot = await store.intakeTask({ title: 's', requiredCapabilities: ['screenshot'] });
        const acmeTask = await store.intakeTask({
          title: 'a',
          requiredCapabilities: ['linux'],
          tenant: 'acme',
        });
        const operatorTask = await store.intakeTask({ title: 'o', requiredCapabilities: ['linux'] });
        const assign = (taskId: string, agentId: string) =>
          store.assignTask({ taskId, agentId, expectedAttempt: 0, leaseExpiresAt: lease() });

        await expectCode(assign(screenshot.id, shared.id), 'COLIBRI_AGENT_NOT_ELIGIBLE', /lacks screenshot/);
        await expectCode(assign(acmeTask.id, other.id), 'COLIBRI_AGENT_NOT_ELIGIBLE', /tenant globex/);
        await expectCode(assign(operatorTask.id, acme.id), 'COLIBRI_AGENT_NOT_ELIGIBLE', /only to shared/);
        await store.markAgentOffline(acme.id);
        await expectCode(assign(acmeTask.id, acme.id), 'COLIBRI_AGENT_NOT_ELIGIBLE', /offline/);
        await expectCode(assign(acmeTask.id, 'nope'), 'COLIBRI_AGENT_NOT_FOUND');
        for (const t of [screenshot, acmeTask, operatorTask])
          expect((await store.getTask(t.id)).status).toBe('parked');
        // A shared agent may serve a tenant's task.
        expect((await assign(acmeTask.id, shared.id)).status).toBe('assigned');
      });
    });

    describe('intake and assignment in one transaction', () => {
      it('takes the task in and assigns it with one commit; the event log has both steps', async () => {
        const agent = await media();
        const commits = store.committedTransactions;
        const seen: string[] = [];
        const { task, created } = await store.intakeTaskAndAssign(
          { title: 'render', requiredCapabilities: ['image-render'] },
          (taken) => {
            seen.push(taken.status);
            return { agentId: agent.id, leaseExpiresAt: lease(), reason: 'picked at intake' };
          },
        );
        expect(seen).toEqual(['parked']);
        expect(created).toBe(true);
        expect(store.committedTransactions).toBe(commits + 1);
        expect(task).toMatchObject({ status: 'assigned', attempt: 1, assignedAgentId: agent.id });
        expect((await store.listTaskEvents(task.id)).map((e) => [e.from, e.to, e.reason])).toEqual([
          [null, 'parked', 'intake'],
          ['parked', 'assigned', 'picked at intake'],
        ]);
        expect((await store.getAgent(agent.id)).status).toBe('active');
      });

      it('a claimed assignment (the claiming poll waits) goes on to running in the same commit', async () => {
        const agent = await media();
        const commits = store.committedTransactions;
        const { task } = await store.intakeTaskAndAssign(
          { title: 'render now', requiredCapabilities: ['image-render'] },
          () => ({ agentId: agent.id, leaseExpiresAt: lease(), reason: 'picked at intake', claimed: true }),
        );
        expect(store.committedTransactions).toBe(commits + 1);
        expect(task).toMatchObject({ status: 'running', attempt: 1, assignedAgentId: agent.id });
        expect(await store.getTask(task.id)).toMatchObject({ status: 'running', attempt: 1 });
        expect(
          (await store.listTaskEvents(task.id)).map((e) => [e.from, e.to, e.agentId, e.attempt, e.reason]),
        ).toEqual([
          [null, 'parked', null, 0, 'intake'],
          ['parked', 'assigned', agent.id, 1, 'picked at intake'],
          ['assigned', 'running', agent.id, 1, null],
        ]);
        expect((await store.getAgent(agent.id)).status).toBe('active');
        const done = await store.transitionTask({
          taskId: task.id,
          to: 'done',
          agentId: agent.id,
          attempt: 1,
        });
        expect(done.status).toBe('done');
      });

      it('leaves the task parked when nobody is chosen or the chosen agent is refused', async () => {
        const agent = await media();
        const { task: none } = await store.intakeTaskAndAssign(
          { title: 'a', requiredCapabilities: ['gpu'] },
          () => undefined,
        );
        expect(none.status).toBe('parked');
        const commits = store.committedTransactions;
        const { task: refused } = await store.intakeTaskAndAssign(
          { title: 'b', requiredCapabilities: ['gpu'] },
          () => ({
            agentId: agent.id,
            leaseExpiresAt: lease(),
          }),
        );
        expect(store.committedTransactions).toBe(commits + 1);
        expect(await store.getTask(refused.id)).toMatchObject({
          status: 'parked',
          attempt: 0,
          assignedAgentId: null,
        });
        const { task: unknown } = await store.intakeTaskAndAssign(
          { title: 'c', requiredCapabilities: [] },
          () => ({
            agentId: '00000000-0000-4000-8000-000000000000',
            leaseExpiresAt: lease(),
          }),
        );
        expect(unknown.status).toBe('parked');
        expect((await store.getAgent(agent.id)).status).toBe('idle');
      });

      it('a repeated idempotency key returns the first task and chooses nobody', async () => {
        const agent = await media();
        const input = { title: 'once', requiredCapabilities: [], idempotencyKey: 'k-1' };
        const first = await store.intakeTaskAndAssign(input, () => ({
          agentId: agent.id,
          leaseExpiresAt: lease(),
        }));
        expect(first).toMatchObject({ created: true, task: { status: 'assigned' } });
        const again = await store.intakeTaskAndAssign(input, () => {
          throw new Error('choose must not be called for a repeat');
        });
        expect(again.created).toBe(false);
        expect(again.task.id).toBe(first.task.id);
      });

      it('takes nothing in on bad input', async () => {
        const before = await store.countTasksByStatus();
        await expectCode(
          store.intakeTaskAndAssign({ title: '', requiredCapabilities: [] }, () => undefined),
          'COLIBRI_INVALID_INPUT',
        );
        expect(await store.countTasksByStatus()).toEqual(before);
      });
    });

    describe('batched assignment and the parked scan', () => {
      it('intakeTasks takes many tasks in one transaction, all or nothing', async () => {
        const taken = await store.intakeTasks([
          { title: 'a', requiredCapabilities: ['linux'], priority: 2 },
          { title: 'b', requiredCapabilities: [], tenant: 'acme' },
        ]);
        expect(taken.map((t) => [t.title, t.status, t.attempt, t.tenant])).toEqual([
          ['a', 'parked', 0, null],
          ['b', 'parked', 0, 'acme'],
        ]);
        expect(await store.getTask(taken[1]!.id)).toEqual(taken[1]);
        expect((await store.listTaskEvents(taken[0]!.id)).map((e) => e.reason)).toEqual(['intake']);
        await expectCode(
          store.intakeTasks([
            { title: 'ok', requiredCapabilities: [] },
            { title: 'bad', requiredCapabilities: ['Not A Tag'] },
          ]),
          'COLIBRI_INVALID_CAPABILITY',
          /intakeTasks\[1\]/,
        );
        expect(await store.listTasks()).toHaveLength(2);
        expect(await store.intakeTasks([])).toEqual([]);
      });

      it('assignTasks makes many assignments in one call, each refused one alone changing nothing', async () => {
        const agent = await media();
        const acme = await store.registerAgent({ name: 'acme-1', capabilities: ['linux'], tenant: 'acme' });
        const tasks = [];
        for (let i = 0; i < 5; i++)
          tasks.push(await store.intakeTask({ title: `t${i}`, requiredCapabilities: ['linux'] }));
        const taken = await store.assignTask({
          taskId: tasks[1]!.id,
          agentId: agent.id,
          expectedAttempt: 0,
          leaseExpiresAt: lease(),
        });
        const outcomes = await store.assignTasks([
          {
            taskId: tasks[0]!.id,
            agentId: agent.id,
            expectedAttempt: 0,
            leaseExpiresAt: lease(),
            reason: 'batch',
          },
          { taskId: tasks[1]!.id, agentId: agent.id, expectedAttempt: 0, leaseExpiresAt: lease() },
          { taskId: tasks[2]!.id, agentId: agent.id, expectedAttempt: 3, leaseExpiresAt: lease() },
          { taskId: tasks[3]!.id, agentId: acme.id, expectedAttempt: 0, leaseExpiresAt: lease() },
          { taskId: tasks[4]!.id, agentId: agent.id, expectedAttempt: 0, leaseExpiresAt: lease() },
        ]);
        expect(outcomes.map((o) => (o.ok ? o.task.status : o.error.code))).toEqual([
          'assigned',
          'COLIBRI_ILLEGAL_TRANSITION',
          'COLIBRI_STALE_ATTEMPT',
          'COLIBRI_AGENT_NOT_ELIGIBLE',
          'assigned',
        ]);
        expect(outcomes[0]).toMatchObject({ ok: true, task: { attempt: 1, assignedAgentId: agent.id } });
        expect(await store.getTask(tasks[1]!.id)).toEqual(taken);
        for (const t of [tasks[2]!, tasks[3]!]) {
          expect(await store.getTask(t.id)).toMatchObject({
            status: 'parked',
            attempt: 0,
            assignedAgentId: null,
          });
          expect(await store.listTaskEvents(t.id)).toHaveLength(1);
        }
        expect((await store.listTaskEvents(tasks[0]!.id)).at(-1)).toMatchObject({
          to: 'assigned',
          reason: 'batch',
        });
        expect((await store.getAgent(agent.id)).status).toBe('active');
        expect((await store.getAgent(acme.id)).status).toBe('idle');
        expect(await store.assignTasks([])).toEqual([]);
        await expectCode(
          store.assignTasks([
            { taskId: tasks[2]!.id, agentId: agent.id, expectedAttempt: -1, leaseExpiresAt: lease() },
          ]),
          'COLIBRI_INVALID_INPUT',
          /assignTasks\[0\]/,
        );
        expect((await store.getTask(tasks[2]!.id)).status).toBe('parked');
      });

      it('assignTasks spreads one batch over several agents, and the same task twice is assigned once', async () => {
        const a = await media();
        const b = await store.registerAgent({ name: 'b', capabilities: ['linux'] });
        const [t1, t2] = await store.intakeTasks([
          { title: 't1', requiredCapabilities: ['linux'] },
          { title: 't2', requiredCapabilities: ['linux'] },
        ]);
        const outcomes = await store.assignTasks([
          { taskId: t1!.id, agentId: a.id, expectedAttempt: 0, leaseExpiresAt: lease() },
          { taskId: t2!.id, agentId: b.id, expectedAttempt: 0, leaseExpiresAt: lease() },
          { taskId: t1!.id, agentId: b.id, expectedAttempt: 0, leaseExpiresAt: lease() },
        ]);
        expect(outcomes.map((o) => (o.ok ? o.task.assignedAgentId : o.error.code))).toEqual([
          a.id,
          b.id,
          'COLIBRI_ILLEGAL_TRANSITION',
        ]);
        expect((await store.getTask(t1!.id)).assignedAgentId).toBe(a.id);
        expect((await store.listTaskEvents(t1!.id)).map((e) => e.to)).toEqual(['parked', 'assigned']);
        expect((await store.countActiveTasksByAgent()).get(b.id)).toBe(1);
        expect((await store.getAgent(b.id)).status).toBe('active');
      });

      it('scanParkedTasks pages through every parked task in dispatch order, without payloads', async () => {
        const t0 = Date.now();
        const ids: string[] = [];
        for (let i = 0; i < 7; i++) {
          const task = await store.intakeTask({
            title: `p${i}`,
            requiredCapabilities: i % 2 === 0 ? ['linux'] : [],
            priority: i % 3,
            payload: { big: 'x'.repeat(100) },
            tenant: i === 3 ? 'acme' : null,
            // Two pairs share a created_at: the id breaks the tie.
            at: new Date(t0 + Math.floor(i / 2)),
          });
          ids.push(task.id);
        }
        const agent = await media();
        await store.assignTask({
          taskId: ids[6]!,
          agentId: agent.id,
          expectedAttempt: 0,
          leaseExpiresAt: lease(),
        });
        const expected = (await store.listTasks({ status: 'parked' })).map((t) => t.id);
        expect(expected).toHaveLength(6);
        // Every page size: pages end inside a priority, at its last task, and inside a created_at tie.
        for (const limit of [1, 2, 3, 4, 6, 7]) {
          const seen: string[] = [];
          let after: { priority: number; createdAt: Date; id: string } | undefined;
          for (;;) {
            const page = await store.scanParkedTasks({ limit, ...(after ? { after } : {}) });
            if (page.length === 0) break;
            expect(page.length).toBeLessThanOrEqual(limit);
            seen.push(...page.map((t) => t.id));
            const last = page.at(-1)!;
            after = { priority: last.priority, createdAt: last.createdAt, id: last.id };
          }
          expect(seen, `pages of ${limit}`).toEqual(expected);
        }
        const [first] = await store.scanParkedTasks({ limit: 1 });
        const full = await store.getTask(first!.id);
        expect(first).toEqual({
          id: full.id,
          tenant: full.tenant,
          requiredCapabilities: full.requiredCapabilities,
          priority: full.priority,
          attempt: full.attempt,
          createdAt: full.createdAt,
          skill: full.skill,
          notBefore: full.notBefore,
        });
        await expectCode(store.scanParkedTasks({ limit: 0 }), 'COLIBRI_INVALID_INPUT', /limit/);
      });
    });

    describe('transitions', () => {
      async function assignedTask() {
        const agent = await media();
        const task = await store.intakeTask({ title: 'render', requiredCapabilities: ['image-render'] });
        const assigned = await store.assignTask({
          taskId: task.id,
          agentId: agent.id,
          expectedAttempt: 0,
          leaseExpiresAt: lease(),
        });
        return { agent, task: assigned };
      }

      it('the assigned agent runs and finishes its task; the agent goes back to idle', async () => {
        const { agent, task } = await assignedTask();
        await store.transitionTask({ taskId: task.id, to: 'running', agentId: agent.id, attempt: 1 });
        const done = await store.transitionTask({
          taskId: task.id,
          to: 'done',
          agentId: agent.id,
          attempt: 1,
          result: { file: 'out.png' },
        });
        expect(done).toMatchObject({ status: 'done', result: { file: 'out.png' }, leaseExpiresAt: null });
        expect((await store.getAgent(agent.id)).status).toBe('idle');
        expect((await store.listTaskEvents(task.id)).map((e) => `${e.from}->${e.to}`)).toEqual([
          'null->parked',
          'parked->assigned',
          'assigned->running',
          'running->done',
        ]);
      });

      it('illegal transitions, wrong agents and stale attempts are refused and change nothing', async () => {
        const { agent, task } = await assignedTask();
        const intruder = await store.registerAgent({ name: 'intruder', capabilities: ['image-render'] });
        await expectCode(
          store.transitionTask({ taskId: task.id, to: 'done', agentId: intruder.id, attempt: 1 }),
          'COLIBRI_NOT_ASSIGNED_TO_AGENT',
        );
        await expectCode(
          store.transitionTask({ taskId: task.id, to: 'done', agentId: agent.id, attempt: 7 }),
          'COLIBRI_STALE_ATTEMPT',
        );
        await store.transitionTask({ taskId: task.id, to: 'done', agentId: agent.id, attempt: 1 });
        const events = (await store.listTaskEvents(task.id)).length;
        await expectCode(
          store.transitionTask({ taskId: task.id, to: 'running' }),
          'COLIBRI_ILLEGAL_TRANSITION',
          /done → running is not allowed/,
        );
        await expectCode(
          store.transitionTask({ taskId: task.id, to: 'assigned' as never }),
          'COLIBRI_INVALID_INPUT',
        );
        await expectCode(
          store.transitionTask({ taskId: task.id, to: 'bogus' as never }),
          'COLIBRI_INVALID_INPUT',
        );
        await expectCode(
          store.transitionTask({ taskId: task.id, to: 'running', result: 1 }),
          'COLIBRI_INVALID_INPUT',
          /result/,
        );
        await expectCode(
          store.transitionTask({ taskId: '00000000-0000-4000-8000-000000000000', to: 'done' }),
          'COLIBRI_TASK_NOT_FOUND',
        );
        expect((await store.getTask(task.id)).status).toBe('done');
        expect(await store.listTaskEvents(task.id)).toHaveLength(events);
      });

      it('a re-queued task gets a new attempt; the old holder cannot complete it', async () => {
        const { agent, task } = await assignedTask();
        await store.transitionTask({ taskId: task.id, to: 'running', agentId: agent.id, attempt: 1 });
        const parked = await store.transitionTask({ taskId: task.id, to: 'parked', reason: 'lease lost' });
        expect(parked).toMatchObject({ status: 'parked', assignedAgentId: null, attempt: 1 });
        await expectCode(
          store.transitionTask({ taskId: task.id, to: 'done', agentId: agent.id, attempt: 1 }),
          'COLIBRI_ILLEGAL_TRANSITION',
        );
        await store.assignTask({
          taskId: task.id,
          agentId: agent.id,
          expectedAttempt: 1,
          leaseExpiresAt: lease(),
        });
        await expectCode(
          store.transitionTask({ taskId: task.id, to: 'done', agentId: agent.id, attempt: 1 }),
          'COLIBRI_STALE_ATTEMPT',
        );
        expect(
          (await store.transitionTask({ taskId: task.id, to: 'done', agentId: agent.id, attempt: 2 })).status,
        ).toBe('done');
      });

      it('a re-queue after the last attempt fails the task with the reason', async () => {
        const agent = await media();
        const task = await store.intakeTask({ title: 'flaky', requiredCapabilities: [], maxAttempts: 2 });
        for (const attempt of [0, 1]) {
          await store.assignTask({
            taskId: task.id,
            agentId: agent.id,
            expectedAttempt: attempt,
            leaseExpiresAt: lease(),
          });
          await store.transitionTask({ taskId: task.id, to: 'parked', reason: 'agent crashed' });
        }
        const failed = await store.getTask(task.id);
        expect(failed).toMatchObject({
          status: 'failed',
          error: 'gave up after 2 of 2 attempts: agent crashed',
        });
        expect((await store.listTaskEvents(task.id)).at(-1)).toMatchObject({
          from: 'assigned',
          to: 'failed',
        });
      });
    });

    describe('liveness', () => {
      it('marking an agent offline re-queues its work; a heartbeat brings it back', async () => {
        const agent = await media();
        const t1 = await store.intakeTask({ title: 'a', requiredCapabilities: [] });
        const t2 = await store.intakeTask({ title: 'b', requiredCapabilities: [], maxAttempts: 1 });
        for (const t of [t1, t2]) {
          await store.assignTask({
            taskId: t.id,
            agentId: agent.id,
            expectedAttempt: 0,
            leaseExpiresAt: lease(),
          });
        }
        const result = await store.markAgentOffline(agent.id, { reason: 'silent past TTL' });
        expect(result.agent.status).toBe('offline');
        expect(result.requeued.map((t) => t.id)).toEqual([t1.id]);
        expect(result.failed.map((t) => t.id)).toEqual([t2.id]);
        expect((await store.listTaskEvents(t1.id)).at(-1)).toMatchObject({
          to: 'parked',
          reason: 'silent past TTL',
        });
        const back = await store.recordHeartbeat(agent.id);
        expect(back.status).toBe('idle');
        expect(back.lastHeartbeatAt).toBeInstanceOf(Date);
      });

      it('with silentSince, only an agent silent since then goes offline (a late heartbeat wins)', async () => {
        const agent = await media();
        const t = await store.intakeTask({ title: 'a', requiredCapabilities: [] });
        await store.assignTask({
          taskId: t.id,
          agentId: agent.id,
          expectedAttempt: 0,
          leaseExpiresAt: lease(),
        });
        const beat = await store.recordHeartbeat(agent.id);
        const kept = await store.markAgentOffline(agent.id, {
          silentSince: new Date(beat.lastHeartbeatAt!.getTime() - 1000),
        });
        expect(kept).toMatchObject({ agent: { status: 'active' }, requeued: [], failed: [] });
        expect((await store.getTask(t.id)).status).toBe('assigned');
        const gone = await store.markAgentOffline(agent.id, {
          silentSince: new Date(beat.lastHeartbeatAt!.getTime() + 1000),
          reason: 'no heartbeat',
        });
        expect(gone.agent.status).toBe('offline');
        expect(gone.requeued.map((x) => x.id)).toEqual([t.id]);
      });

      it('expired leases are re-queued; renewed ones are not', async () => {
        const agent = await media();
        const now = Date.now();
        const t1 = await store.intakeTask({ title: 'expires', requiredCapabilities: [] });
        const t2 = await store.intakeTask({ title: 'renewed', requiredCapabilities: [] });
        for (const t of [t1, t2]) {
          await store.assignTask({
            taskId: t.id,
            agentId: agent.id,
            expectedAttempt: 0,
            leaseExpiresAt: new Date(now + 1000),
          });
        }
        await store.transitionTask({ taskId: t2.id, to: 'running', agentId: agent.id, attempt: 1 });
        await store.transitionTask({ taskId: t1.id, to: 'done', agentId: agent.id, attempt: 1 });
        const t3 = await store.intakeTask({ title: 'expires too', requiredCapabilities: [] });
        await store.assignTask({
          taskId: t3.id,
          agentId: agent.id,
          expectedAttempt: 0,
          leaseExpiresAt: new Date(now + 1000),
        });
        await store.recordHeartbeat(agent.id, { extendLeasesUntil: new Date(now + 60_000) });
        expect(await store.requeueExpiredLeases(new Date(now + 2000))).toEqual([]);
        const changed = await store.requeueExpiredLeases(new Date(now + 120_000));
        expect(changed.map((t) => t.id).sort()).toEqual([t2.id, t3.id].sort());
        expect((await store.getTask(t1.id)).status).toBe('done');
        expect((await store.getAgent(agent.id)).status).toBe('idle');
      });

      it('writes heartbeats kept in memory in one batch: forward only, online agents only', async () => {
        const now = Date.now();
        const busy = await media();
        const idle = await store.registerAgent({ name: 'kiln', capabilities: ['linux'] });
        const gone = await store.registerAgent({ name: 'attic', capabilities: ['linux'] });
        await store.markAgentOffline(gone.id, { reason: 'test' });
        const t = await store.intakeTask({ title: 'held', requiredCapabilities: [] });
        await store.assignTask({
          taskId: t.id,
          agentId: busy.id,
          expectedAttempt: 0,
          leaseExpiresAt: new Date(now + 1000),
        });
        const commits = store.committedTransactions;
        const moved = await store.recordHeartbeats([
          { agentId: busy.id, at: new Date(now), extendLeasesUntil: new Date(now + 60_000) },
          { agentId: idle.id, at: new Date(now) },
          { agentId: gone.id, at: new Date(now) },
        ]);
        expect(moved).toBe(2);
        expect(store.committedTransactions).toBe(commits + 1);
        expect((await store.getAgent(busy.id)).lastHeartbeatAt?.getTime()).toBe(now);
        expect((await store.getAgent(idle.id)).lastHeartbeatAt?.getTime()).toBe(now);
        // An offline agent stays offline and unseen: only a real heartbeat brings it back.
        expect(await store.getAgent(gone.id)).toMatchObject({ status: 'offline', lastHeartbeatAt: null });
        expect((await store.getTask(t.id)).leaseExpiresAt?.getTime()).toBe(now + 60_000);
        // A late, older batch moves nothing back.
        expect(await store.recordHeartbeats([{ agentId: idle.id, at: new Date(now - 5000) }])).toBe(0);
        expect((await store.getAgent(idle.id)).lastHeartbeatAt?.getTime()).toBe(now);
        expect(await store.recordHeartbeats([])).toBe(0);
        await expectCode(
          store.recordHeartbeats([{ agentId: 'not-an-id', at: new Date(now) }]),
          'COLIBRI_INVALID_INPUT',
        );
      });
    });

    describe('tenants', () => {
      /** Everything tenant-related the store can show: what a refused call must leave untouched. */
      const tenantState = async () => {
        const tenants = await store.listTenants();
        const events = await Promise.all(tenants.map((t) => store.listTenantEvents(t.tenantId)));
        return JSON.stringify({ tenants, events });
      };

      it('creates tenants 1:1:1 by default, with a created event; jail and collection may differ', async () => {
        const acme = await store.createTenant({ tenantId: 'acme' });
        expect(acme).toMatchObject({
          tenantId: 'acme',
          jail: 'acme',
          collection: 'acme',
          collectionId: null,
          status: 'pending',
        });
        expect(acme.createdAt).toBeInstanceOf(Date);
        const globex = await store.createTenant({
          tenantId: 'globex',
          jail: 'globex-jail',
          collection: 'Tenants/Globex Corp',
        });
        expect(globex).toMatchObject({ jail: 'globex-jail', collection: 'Tenants/Globex Corp' });
        const lean = await store.createTenant({ tenantId: 'lean', collection: null });
        expect(lean.collection).toBeNull();
        // Tenants without a bucket do not clash with each other.
        expect((await store.createTenant({ tenantId: 'lean-2', collection: null })).collection).toBeNull();
        expect(await store.getTenant('globex')).toEqual(globex);
        expect((await store.listTenants()).map((t) => t.tenantId)).toEqual([
          'acme',
          'globex',
          'lean',
          'lean-2',
        ]);
        expect(await store.listTenantEvents('acme')).toMatchObject([
          {
            tenantId: 'acme',
            from: null,
            to: 'pending',
            reason: 'created',
            details: { jail: 'acme', collection: 'acme' },
          },
        ]);
        expect((await store.listTenantEvents('lean'))[0]?.details).toEqual({
          jail: 'lean',
          collection: null,
        });
      });

      it('refuses a taken id, jail or collection and bad names, naming the problem and changing nothing', async () => {
        await store.createTenant({ tenantId: 'acme' });
        await store.createTenant({ tenantId: 'globex', jail: 'gx', collection: 'Globex' });
        const before = await tenantState();
        const taken = await expectCode(
          store.createTenant({ tenantId: 'acme' }),
          'COLIBRI_TENANT_EXISTS',
          /acme: it already exists/,
        );
        // What clashed is in the details, so that the CLI can say which flag to change.
        expect(taken.details).toMatchObject({ tenantId: 'acme', clash: 'tenant' });
        const jailTaken = await expectCode(
          store.createTenant({ tenantId: 'other', jail: 'acme' }),
          'COLIBRI_TENANT_EXISTS',
          /jail acme already belongs to tenant acme/,
        );
        expect(jailTaken.details).toMatchObject({ jail: 'acme', clash: 'jail' });
        // A new tenant's default jail is its name: here the jail of globex.
        await expectCode(store.createTenant({ tenantId: 'gx' }), 'COLIBRI_TENANT_EXISTS', /jail gx/);
        const collectionTaken = await expectCode(
          store.createTenant({ tenantId: 'other', collection: 'Globex' }),
          'COLIBRI_TENANT_EXISTS',
          /collection "Globex" already belongs to tenant globex/,
        );
        expect(collectionTaken.details).toMatchObject({ collection: 'Globex', clash: 'collection' });
        await expectCode(store.createTenant({ tenantId: 'all' }), 'COLIBRI_INVALID_INPUT', /reserved/);
        await expectCode(store.createTenant({ tenantId: 'x/../y' }), 'COLIBRI_INVALID_INPUT', /tenantId/);
        await expectCode(
          store.createTenant({ tenantId: 'ok', jail: '../etc' }),
          'COLIBRI_INVALID_INPUT',
          /jail: jail name "..\/etc" is not valid/,
        );
        await expectCode(
          store.createTenant({ tenantId: 'ok', collection: 'a\nb' }),
          'COLIBRI_INVALID_INPUT',
          /collection: .*control characters/,
        );
        await expectCode(
          store.createTenant({ tenantId: 'ok', collection: '' }),
          'COLIBRI_INVALID_INPUT',
          /blank/,
        );
        await expectCode(
          store.createTenant({ tenantId: 'ok', collection: 'x'.repeat(129) }),
          'COLIBRI_INVALID_INPUT',
          /at most 128/,
        );
        const missing = await expectCode(
          store.getTenant('ghost'),
          'COLIBRI_TENANT_NOT_FOUND',
          /no tenant "ghost"/,
        );
        expect(missing.details).toEqual({ tenantId: 'ghost' });
        await expectCode(store.listTenantEvents('ghost'), 'COLIBRI_TENANT_NOT_FOUND');
        expect(await tenantState()).toBe(before);
      });

      it('a provision caches the collection id and moves the tenant to provisioned; an active tenant stays active', async () => {
        await store.createTenant({ tenantId: 'acme' });
        const written = await store.recordTenantProvision({
          tenantId: 'acme',
          outcome: 'written',
          collectionId: 'c-1',
        });
        expect(written).toMatchObject({ status: 'provisioned', collectionId: 'c-1' });
        expect((await store.listTenantEvents('acme'))[1]).toMatchObject({
          from: 'pending',
          to: 'provisioned',
          reason: 'provision written',
          details: { outcome: 'written', collectionId: 'c-1' },
        });
        // A repeat that changes nothing leaves the row and the log alone.
        const before = await tenantState();
        expect(
          await store.recordTenantProvision({ tenantId: 'acme', outcome: 'unchanged', collectionId: 'c-1' }),
        ).toEqual(written);
        expect(await tenantState()).toBe(before);

        await store.setTenantStatus('acme', 'active', 'agent acme-1 registered');
        const again = await store.recordTenantProvision({
          tenantId: 'acme',
          outcome: 'written',
          collectionId: 'c-1',
        });
        expect(again.status).toBe('active');
        const failed = await store.recordTenantProvision({
          tenantId: 'acme',
          outcome: 'failed',
          collectionId: null,
          reason: 'sync failed',
        });
        expect(failed).toMatchObject({ status: 'failed', collectionId: 'c-1' });
        // Every failure is recorded, even when the tenant is already failed.
        await store.recordTenantProvision({ tenantId: 'acme', outcome: 'failed', collectionId: null });
        expect((await store.listTenants({ status: 'failed' })).map((t) => t.tenantId)).toEqual(['acme']);
        const recovered = await store.recordTenantProvision({
          tenantId: 'acme',
          outcome: 'unchanged',
          collectionId: null,
        });
        expect(recovered).toMatchObject({ status: 'provisioned', collectionId: 'c-1' });
        expect(
          (await store.listTenantEvents('acme')).map((e) => `${e.from ?? '-'}>${e.to} ${e.reason}`),
        ).toEqual([
          '->pending created',
          'pending>provisioned provision written',
          'provisioned>active agent acme-1 registered',
          'active>active provision written',
          'active>failed provision failed: sync failed',
          'failed>failed provision failed',
          'failed>provisioned provision unchanged',
        ]);
        const ids = (await store.listTenantEvents('acme')).map((e) => e.id);
        expect([...ids].sort((a, b) => a - b)).toEqual(ids);
      });

      it('a different collection id fails closed, changing nothing, until the operator resets the cache', async () => {
        await store.createTenant({ tenantId: 'acme' });
        await store.createTenant({ tenantId: 'globex' });
        await store.recordTenantProvision({ tenantId: 'acme', outcome: 'written', collectionId: 'c-1' });
        const before = await tenantState();
        await expectCode(
          store.recordTenantProvision({ tenantId: 'acme', outcome: 'written', collectionId: 'c-2' }),
          'COLIBRI_VAULT_COLLECTION_CHANGED',
          /c-1 cached.*resolved c-2.*reset the tenant's cached collection id/,
        );
        await expectCode(
          store.recordTenantProvision({ tenantId: 'acme', outcome: 'failed', collectionId: 'c-2' }),
          'COLIBRI_VAULT_COLLECTION_CHANGED',
        );
        // One collection never serves two tenants.
        await expectCode(
          store.recordTenantProvision({ tenantId: 'globex', outcome: 'written', collectionId: 'c-1' }),
          'COLIBRI_VAULT_COLLECTION_CHANGED',
          /already cached for tenant acme/,
        );
        expect(await tenantState()).toBe(before);

        const reset = await store.resetTenantCollection('acme');
        expect(reset).toMatchObject({ status: 'provisioned', collectionId: null });
        expect((await store.listTenantEvents('acme')).at(-1)).toMatchObject({
          from: 'provisioned',
          to: 'provisioned',
          reason: 'cached collection id cleared by the operator',
          details: { previousCollectionId: 'c-1' },
        });
        // Nothing cached: nothing to reset, nothing logged.
        const afterReset = await tenantState();
        expect(await store.resetTenantCollection('acme')).toEqual(reset);
        expect(await tenantState()).toBe(afterReset);
        expect(
          (await store.recordTenantProvision({ tenantId: 'acme', outcome: 'written', collectionId: 'c-2' }))
            .collectionId,
        ).toBe('c-2');
        await expectCode(store.resetTenantCollection('ghost'), 'COLIBRI_TENANT_NOT_FOUND');
      });

      it('a tenant without a bucket is provisioned by no-bucket and never gets a collection id', async () => {
        await store.createTenant({ tenantId: 'lean', collection: null });
        const done = await store.recordTenantProvision({
          tenantId: 'lean',
          outcome: 'no-bucket',
          collectionId: null,
        });
        expect(done).toMatchObject({ status: 'provisioned', collection: null, collectionId: null });
        const before = await tenantState();
        await store.recordTenantProvision({ tenantId: 'lean', outcome: 'no-bucket', collectionId: null });
        await expectCode(
          store.recordTenantProvision({ tenantId: 'lean', outcome: 'written', collectionId: 'c-1' }),
          'COLIBRI_INVALID_INPUT',
          /no collection/,
        );
        await expectCode(
          store.recordTenantProvision({ tenantId: 'lean', outcome: 'no-bucket', collectionId: 'c-1' }),
          'COLIBRI_INVALID_INPUT',
          /collectionId: must be null when the outcome is no-bucket/,
        );
        expect(await tenantState()).toBe(before);
      });

      it('refuses malformed provisions and unknown tenants, changing nothing', async () => {
        await store.createTenant({ tenantId: 'acme' });
        const before = await tenantState();
        await expectCode(
          store.recordTenantProvision({ tenantId: 'acme', outcome: 'done' as never, collectionId: null }),
          'COLIBRI_INVALID_INPUT',
          /outcome: must be one of written, unchanged, no-bucket, failed/,
        );
        await expectCode(
          store.recordTenantProvision({ tenantId: 'acme', outcome: 'written', collectionId: 'has space' }),
          'COLIBRI_INVALID_INPUT',
          /collectionId/,
        );
        await expectCode(
          store.recordTenantProvision({ tenantId: 'acme', outcome: 'written' } as never),
          'COLIBRI_INVALID_INPUT',
          /collectionId/,
        );
        await expectCode(
          store.recordTenantProvision({ tenantId: 'ghost', outcome: 'written', collectionId: null }),
          'COLIBRI_TENANT_NOT_FOUND',
        );
        expect(await tenantState()).toBe(before);
      });

      it('status changes follow TENANT_TRANSITIONS, each with an event', async () => {
        await store.createTenant({ tenantId: 'acme' });
        const before = await tenantState();
        await expectCode(
          store.setTenantStatus('acme', 'active', 'too early'),
          'COLIBRI_ILLEGAL_TRANSITION',
          /acme is pending; pending → active is not allowed/,
        );
        await expectCode(store.setTenantStatus('acme', 'failed', '  '), 'COLIBRI_INVALID_INPUT', /reason/);
        await expectCode(
          store.setTenantStatus('acme', 'gone' as never, 'x'),
          'COLIBRI_INVALID_INPUT',
          /to: must be one of pending, provisioned, active, failed/,
        );
        await expectCode(store.setTenantStatus('ghost', 'failed', 'x'), 'COLIBRI_TENANT_NOT_FOUND');
        expect(await tenantState()).toBe(before);
        await store.setTenantStatus('acme', 'failed', 'jail did not start');
        await store.setTenantStatus('acme', 'pending', 'retry');
        await store.setTenantStatus('acme', 'provisioned', 'env in place');
        const active = await store.setTenantStatus('acme', 'active', 'agent registered');
        expect(active.status).toBe('active');
        expect(active.updatedAt.getTime()).toBeGreaterThanOrEqual(active.createdAt.getTime());
        expect(
          (await store.listTenantEvents('acme')).map((e) => [e.from, e.to, e.reason, e.details]),
        ).toEqual([
          [null, 'pending', 'created', { jail: 'acme', collection: 'acme' }],
          ['pending', 'failed', 'jail did not start', null],
          ['failed', 'pending', 'retry', null],
          ['pending', 'provisioned', 'env in place', null],
          ['provisioned', 'active', 'agent registered', null],
        ]);
        expect((await store.listTenants({ status: ['active', 'failed'] })).map((t) => t.tenantId)).toEqual([
          'acme',
        ]);
        expect(await store.listTenants({ status: 'pending' })).toEqual([]);
      });

      it('racing registrations and provisions: exactly one wins, the others get a clear conflict', async () => {
        const created = await Promise.allSettled(
          [1, 2, 3, 4].map(() => store.createTenant({ tenantId: 'acme' })),
        );
        expect(created.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of created) {
          if (r.status === 'rejected') expect(isColibriError(r.reason, 'COLIBRI_TENANT_EXISTS')).toBe(true);
        }
        const names = ['t-1', 't-2', 't-3', 't-4'];
        for (const tenantId of names) await store.createTenant({ tenantId });
        const recorded = await Promise.allSettled(
          names.map((tenantId) =>
            store.recordTenantProvision({ tenantId, outcome: 'written', collectionId: 'c-same' }),
          ),
        );
        expect(recorded.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of recorded) {
          if (r.status === 'rejected') {
            expect(isColibriError(r.reason, 'COLIBRI_VAULT_COLLECTION_CHANGED')).toBe(true);
          }
        }
        expect((await store.listTenants()).filter((t) => t.collectionId === 'c-same')).toHaveLength(1);
        expect(await store.listTenantEvents('acme')).toHaveLength(1);
      });

      it('adds the collection name to tenants created before migration 0003', async () => {
        const fresh = await harness.freshConfig();
        const adapter =
          fresh.driver === 'sqlite' ? createSqliteAdapter(fresh) : await createPostgresAdapter(fresh);
        const all = await migrationProvider(adapter.driver).getMigrations();
        const { error } = await new Migrator({
          db: adapter.db,
          provider: {
            getMigrations: async () => ({
              '0001-initial-schema': all['0001-initial-schema']!,
              '0002-auth': all['0002-auth']!,
            }),
          },
        }).migrateToLatest();
        await adapter.db.destroy();
        expect(error).toBeUndefined();
        const at = "'2026-01-01T00:00:00.000Z'";
        await harness.rawExec(
          fresh,
          `insert into tenants (tenant_id, jail, collection_id, status, created_at, updated_at) values
           ('old', 'old-jail', 'c-9', 'active', ${at}, ${at}),
           ('dup-a', 'dup-a', 'c-dup', 'provisioned', ${at}, ${at}),
           ('dup-b', 'dup-b', 'c-dup', 'provisioned', ${at}, ${at})`,
        );
        const migrated = await openStore(fresh);
        try {
          expect(await migrated.getTenant('old')).toMatchObject({
            jail: 'old-jail',
            collection: 'old',
            collectionId: 'c-9',
            status: 'active',
          });
          // A cached id two tenants shared is only a cache: cleared, resolved again next time.
          expect((await migrated.listTenants()).map((t) => [t.tenantId, t.collectionId])).toEqual([
            ['dup-a', null],
            ['dup-b', null],
            ['old', 'c-9'],
          ]);
          expect(await migrated.listTenantEvents('old')).toEqual([]);
          await migrated.setTenantStatus('old', 'provisioned', 'agent gone');
          expect((await migrated.listTenantEvents('old')).map((e) => e.to)).toEqual(['provisioned']);
        } finally {
          await migrated.close();
        }
      });
    });

    describe('change feed', () => {
      it('refuses a listener that is not a function, and a closed store', async () => {
        await expectCode(store.watchChanges('nope' as never), 'COLIBRI_INVALID_INPUT', /listener/);
        await expectCode(
          store.watchChanges(() => {}, { onError: 1 as never }),
          'COLIBRI_INVALID_INPUT',
          /onError/,
        );
        const closed = await openStore(config);
        await closed.close();
        await expectCode(
          closed.watchChanges(() => {}),
          'COLIBRI_STORE_UNAVAILABLE',
          /closed/,
        );
      });

      if (harness.liveChangeFeed) {
        it('hears every change committed through another store instance (and its own), in commit order', async () => {
          const other = await openStore(config);
          try {
            const seen: StoreChange[] = [];
            const errors: Error[] = [];
            const subscription = await store.watchChanges((change) => seen.push(change), {
              onError: (error) => errors.push(error),
            });
            expect(subscription.live).toBe(true);
            const agent = await other.registerAgent({ name: 'w', capabilities: ['linux'] });
            const task = await other.intakeTask({ title: 't', requiredCapabilities: ['linux'] });
            await other.assignTask({
              taskId: task.id,
              agentId: agent.id,
              expectedAttempt: 0,
              leaseExpiresAt: lease(),
            });
            // Heartbeats and lease renewals are not changes: nobody needs to hear of them.
            await other.recordHeartbeat(agent.id, { extendLeasesUntil: lease() });
            await other.transitionTask({ taskId: task.id, to: 'running', agentId: agent.id, attempt: 1 });
            await other.updateAgentCapabilities(agent.id, ['linux', 'gpu']);
            await other.markAgentOffline(agent.id, { reason: 'test' });
            // A change made through the listening store itself is heard too (and marks the end).
            const marker = await store.intakeTask({ title: 'marker', requiredCapabilities: [] });
            await waitFor(
              () => seen.some((c) => c.kind === 'task' && c.taskId === marker.id),
              'the marker task to be heard',
            );
            expect(seen).toEqual([
              { kind: 'agent', agentId: agent.id, status: 'idle', what: 'registered' },
              { kind: 'task', taskId: task.id, status: 'parked', agentId: null },
              { kind: 'task', taskId: task.id, status: 'assigned', agentId: agent.id },
              { kind: 'agent', agentId: agent.id, status: 'active', what: 'status' },
              { kind: 'task', taskId: task.id, status: 'running', agentId: agent.id },
              { kind: 'agent', agentId: agent.id, status: 'active', what: 'capabilities' },
              { kind: 'agent', agentId: agent.id, status: 'offline', what: 'status' },
              { kind: 'task', taskId: task.id, status: 'parked', agentId: null },
              { kind: 'task', taskId: marker.id, status: 'parked', agentId: null },
            ]);
            expect(errors).toEqual([]);
            await subscription.close();
          } finally {
            await other.close();
          }
        });

        it('a closed subscription hears nothing more; others go on', async () => {
          const closed: StoreChange[] = [];
          const open: StoreChange[] = [];
          const subscription = await store.watchChanges((change) => closed.push(change));
          await store.watchChanges((change) => open.push(change));
          await subscription.close();
          await subscription.close();
          const task = await store.intakeTask({ title: 'after', requiredCapabilities: [] });
          await waitFor(
            () => open.some((c) => c.kind === 'task' && c.taskId === task.id),
            'the task to be heard',
          );
          expect(closed).toEqual([]);
        });
      } else {
        it('never fires, and says so: one daemon per database file', async () => {
          const seen: StoreChange[] = [];
          const subscription = await store.watchChanges((change) => seen.push(change));
          expect(subscription.live).toBe(false);
          const other = await openStore(config);
          try {
            const agent = await other.registerAgent({ name: 'w', capabilities: ['linux'] });
            const task = await other.intakeTask({ title: 't', requiredCapabilities: ['linux'] });
            await store.assignTask({
              taskId: task.id,
              agentId: agent.id,
              expectedAttempt: 0,
              leaseExpiresAt: lease(),
            });
            await store.markAgentOffline(agent.id);
          } finally {
            await other.close();
          }
          expect(seen).toEqual([]);
          await subscription.close();
        });
      }
    });

    // PostgreSQL's text cannot hold a NUL character and SQLite's can: the store refuses one in every
    // text field on both dialects alike (issue 12, item 8), and a NUL inside JSON is just an escape.
    describe('NUL characters', () => {
      const NUL = 'a\u0000b';
      const everything = async () => {
        const [agents, tasks, tenants] = await Promise.all([
          store.listAgents({ includeRetired: true }),
          store.listTasks({ limit: 10_000 }),
          store.listTenants(),
        ]);
        const events = await Promise.all(tasks.map((t) => store.listTaskEvents(t.id)));
        const tenantEvents = await Promise.all(tenants.map((t) => store.listTenantEvents(t.tenantId)));
        return JSON.stringify({ agents, tasks, tenants, events, tenantEvents });
      };

      it('is refused in every text field with COLIBRI_INVALID_INPUT naming the field, changing nothing', async () => {
        const agent = await media();
        await store.createTenant({ tenantId: 'acme' });
        const held = await store.intakeTask({ title: 'held', requiredCapabilities: ['linux'] });
        await store.assignTask({
          taskId: held.id,
          agentId: agent.id,
          expectedAttempt: 0,
          leaseExpiresAt: lease(),
        });
        const parked = await store.intakeTask({ title: 'parked', requiredCapabilities: ['linux'] });
        const before = await everything();
        const cases: [string, () => Promise<unknown>, RegExp][] = [
          [
            'registerAgent host',
            () => store.registerAgent({ name: 'n1', host: NUL, capabilities: [] }),
            /host/,
          ],
          ['intakeTask title', () => store.intakeTask({ title: NUL, requiredCapabilities: [] }), /title/],
          [
            'assignTask reason',
            () =>
              store.assignTask({
                taskId: parked.id,
                agentId: agent.id,
                expectedAttempt: 0,
                leaseExpiresAt: lease(),
                reason: NUL,
              }),
            /reason/,
          ],
          [
            'transitionTask error',
            () => store.transitionTask({ taskId: held.id, to: 'failed', attempt: 1, error: NUL }),
            /error/,
          ],
          [
            'transitionTask reason',
            () => store.transitionTask({ taskId: held.id, to: 'cancelled', reason: NUL }),
            /reason/,
          ],
          ['markAgentOffline reason', () => store.markAgentOffline(agent.id, { reason: NUL }), /reason/],
          ['retireAgent reason', () => store.retireAgent(agent.id, { reason: NUL }), /reason/],
          ['setTenantStatus reason', () => store.setTenantStatus('acme', 'failed', NUL), /reason/],
          [
            'recordTenantProvision reason',
            () =>
              store.recordTenantProvision({
                tenantId: 'acme',
                outcome: 'failed',
                collectionId: null,
                reason: NUL,
              }),
            /reason/,
          ],
          [
            'resetTenantCollection reason',
            () => store.resetTenantCollection('acme', { reason: NUL }),
            /reason/,
          ],
        ];
        for (const [what, call, field] of cases) {
          const error = await expectCode(call(), 'COLIBRI_INVALID_INPUT', field);
          expect(error.message, what).toContain(NUL_MESSAGE);
        }
        // Names and ids were always refused by their patterns: control characters, NUL included.
        await expectCode(
          store.registerAgent({ name: NUL, capabilities: [] }),
          'COLIBRI_INVALID_INPUT',
          /name/,
        );
        await expectCode(store.createTenant({ tenantId: NUL }), 'COLIBRI_INVALID_INPUT', /tenantId/);
        await expectCode(
          store.createTenant({ tenantId: 'beta', collection: NUL }),
          'COLIBRI_INVALID_INPUT',
          /collection/,
        );
        expect(await everything()).toBe(before);
      });

      it('is not found when it is in an id or a name that is looked up', async () => {
        await expectCode(store.getAgent(NUL), 'COLIBRI_AGENT_NOT_FOUND');
        await expectCode(store.getTask(NUL), 'COLIBRI_TASK_NOT_FOUND');
        await expectCode(store.getTenant(NUL), 'COLIBRI_TENANT_NOT_FOUND');
        await expectCode(store.listTenantEvents(NUL), 'COLIBRI_TENANT_NOT_FOUND');
        await expectCode(store.recordHeartbeat(NUL), 'COLIBRI_AGENT_NOT_FOUND');
        expect(await store.findAgentByName(NUL)).toBeUndefined();
        expect(await store.listTasks({ tenant: NUL })).toEqual([]);
        expect(await store.listAgents({ tenant: NUL })).toEqual([]);
      });

      it('inside a JSON payload or result is stored and read back on both dialects', async () => {
        const value = { text: NUL, [NUL]: [NUL] };
        const task = await store.intakeTask({ title: 't', requiredCapabilities: [], payload: value });
        expect((await store.getTask(task.id)).payload).toEqual(value);
        const agent = await media();
        await store.assignTask({
          taskId: task.id,
          agentId: agent.id,
          expectedAttempt: 0,
          leaseExpiresAt: lease(),
        });
        expect((await store.transitionTask({ taskId: task.id, to: 'done', result: value })).result).toEqual(
          value,
        );
        expect((await store.getTask(task.id)).result).toEqual(value);
      });
    });

    describe('expiry, retention and the stderr tail', () => describeLifecycleContract(harness));

    describe('integrity', () => {
      it('the tenant event log is append-only at the database level', async () => {
        await store.createTenant({ tenantId: 'acme' });
        await expect(harness.rawExec(config, "update tenant_events set reason = 'forged'")).rejects.toThrow(
          /append-only/,
        );
        await expect(harness.rawExec(config, 'delete from tenant_events')).rejects.toThrow(/append-only/);
        expect((await store.listTenantEvents('acme'))[0]?.reason).toBe('created');
      });

      it('the event log is append-only at the database level', async () => {
        const task = await store.intakeTask({ title: 't', requiredCapabilities: [] });
        await expect(harness.rawExec(config, "update task_events set reason = 'forged'")).rejects.toThrow(
          /append-only/,
        );
        await expect(harness.rawExec(config, 'delete from task_events')).rejects.toThrow(/append-only/);
        expect((await store.listTaskEvents(task.id))[0]?.reason).toBe('intake');
      });

      it('racing processes never assign or cancel one task twice', async () => {
        const tasks = [];
        for (let i = 0; i < 40; i++)
          tasks.push(await store.intakeTask({ title: `race ${i}`, requiredCapabilities: [] }));
        const workers = 6;
        const agents = [];
        for (let w = 0; w < workers; w++) {
          agents.push(await store.registerAgent({ name: `racer-${w}`, capabilities: ['linux'] }));
        }
        const startAt = Date.now() + 1500;
        const taskIds = tasks.map((t) => t.id);
        const results = (await Promise.all(
          agents.map((a) =>
            runWorker('race', config, {
              startAt,
              agentId: a.id,
              taskIds,
              concurrent: config.driver === 'postgres',
            }),
          ),
        )) as { won: number; lost: Record<string, number> }[][];
        const summaries = results.map((lines) => lines[0]!);
        const won = summaries.reduce((sum, r) => sum + r.won, 0);
        // Every task assigned exactly once and cancelled exactly once, across all processes.
        expect(won).toBe(tasks.length * 2);
        const allowedLosses = ['COLIBRI_ILLEGAL_TRANSITION', 'COLIBRI_STALE_ATTEMPT'];
        for (const summary of summaries) {
          expect(Object.keys(summary.lost).filter((code) => !allowedLosses.includes(code))).toEqual([]);
        }
        for (const task of tasks) {
          const events = await store.listTaskEvents(task.id);
          expect(events.filter((e) => e.to === 'assigned')).toHaveLength(1);
          expect(events.filter((e) => e.to === 'cancelled')).toHaveLength(1);
          expect((await store.getTask(task.id)).attempt).toBe(1);
        }
      });

      it('kill -9 of a writer loses no acknowledged task', async () => {
        const child = spawn(process.execPath, [WORKER, 'intake-forever', JSON.stringify(config)], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        const acknowledged: string[] = [];
        await new Promise<void>((resolve, reject) => {
          child.on('error', reject);
          child.on('exit', (code, signal) =>
            signal === 'SIGKILL' ? resolve() : reject(new Error(`writer exited early: ${code}`)),
          );
          createInterface({ input: child.stdout }).on('line', (line) => {
            acknowledged.push((JSON.parse(line) as { id: string }).id);
            if (acknowledged.length === 150) child.kill('SIGKILL');
          });
        });
        const after = await openStore(config);
        try {
          const stored = new Set((await after.listTasks({ limit: 10_000 })).map((t) => t.id));
          const lost = acknowledged.filter((id) => !stored.has(id));
          expect(lost).toEqual([]);
          expect(acknowledged.length).toBeGreaterThanOrEqual(150);
        } finally {
          await after.close();
        }
      });
    });

    describeSlotsAndPrefixes(() => store);
    describeClaimContract(() => store);
  });
}
