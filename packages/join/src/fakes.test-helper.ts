// In-memory stand-ins for the join chain's ports: a jail driver keeping its jails in a map (with
// real home directories under a temp root, so `.env` files are real), a hive with tenants, agents
// and one-time join tokens, and a provision step writing real `.env` files. The fake agent reads
// its join token from the `.env` like run-agent does, so the token's way through the chain is real.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ColibriError } from '@colibri/errors';
import { isLegalTenantTransition, type TenantStatus } from '@colibri/protocol';
import type {
  AgentLaunch,
  AgentRuntime,
  JailDriver,
  JailInfo,
  JailSpec,
  JailStatus,
  PreflightReport,
} from '@colibri/spawner';
import { type LaunchSettings, normalizeLaunchSettings } from '@colibri/spawner';
import type { HiveAgent, HivePort, HiveTenant, ProvisionEnv, ProvisionRequest } from './hive-port.js';

/** What the fake agent does once started. */
export type FakeAgentBehaviour =
  /** Registers with the join token from its `.env` (or resumes its earlier registration). */
  | 'registers'
  /** Keeps running, never registers (e.g. cannot reach the daemon). */
  | 'never'
  /** Prints a few lines (one holding its join token) and exits without registering. */
  | 'exits';

export const RUNTIME: AgentRuntime = Object.freeze({
  version: '1.2.3',
  root: '/opt/colibri',
  entry: '/opt/colibri/bin/run.js',
});
export const PASSING_PREFLIGHT: PreflightReport = Object.freeze({
  ok: true,
  checks: [
    { name: 'root', ok: true, detail: 'euid 0' },
    { name: 'trial-sandbox', ok: true, detail: 'a sandbox started' },
  ],
  facts: { kernel: '6.1' },
});

interface FakeJail {
  info: JailInfo;
  foreign: boolean;
  agent: 'running' | 'stopped';
  /** The agent "process" generation: a restart makes the old one's late actions void. */
  generation: number;
  /** The settings of the last start (the real drivers keep them in their record). */
  launched?: LaunchSettings;
  /** The runtime root bootstrapped. */
  runtimeRoot?: string;
}

export interface FakeDriver extends JailDriver {
  readonly jails: Map<string, FakeJail>;
  /** Every mutating call, e.g. `create acme`, `startAgent acme`. */
  readonly calls: string[];
  preflightReport: PreflightReport;
  behaviour: FakeAgentBehaviour;
  /** Make a method throw this error (once set, every call). */
  readonly failures: Partial<
    Record<'inspect' | 'create' | 'bootstrap' | 'startAgent' | 'stopAgent' | 'destroy', Error>
  >;
  /** Launches given to startAgent. */
  readonly launches: AgentLaunch[];
  /** A jail colibri did not create. */
  plantForeign(name: string): Promise<void>;
  /** The agent process dies (as when its keeper is SIGKILLed): the hive still lists it online. */
  killAgent(name: string): void;
  homeOf(name: string): string;
}

export function createFakeDriver(root: string, hive: FakeHive): FakeDriver {
  const jails = new Map<string, FakeJail>();
  const calls: string[] = [];
  const launches: AgentLaunch[] = [];
  const failures: FakeDriver['failures'] = {};
  const homeOf = (name: string) => join(root, name, 'home', 'agent');
  const logOf = (name: string) => join(root, name, 'agent.log');
  const ours = (name: string): FakeJail => {
    const jail = jails.get(name);
    if (jail === undefined || jail.foreign) {
      throw new ColibriError('COLIBRI_JAIL_NOT_FOUND', `no colibri jail ${name}`, { jail: name });
    }
    return jail;
  };
  const fail = (method: keyof FakeDriver['failures']) => {
    const error = failures[method];
    if (error !== undefined) throw error;
  };
  let nextUid = 470001;

  const agentProcess = async (name: string, jail: FakeJail, launch: AgentLaunch) => {
    const generation = jail.generation;
    const alive = () =>
      jail.agent === 'running' && jail.generation === generation && jails.get(name) === jail;
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (!alive()) return;
    const env = await readFile(join(homeOf(name), '.env'), 'utf8').catch(() => '');
    const token = /^COLIBRI_JOIN_TOKEN='([^']*)'$/m.exec(env)?.[1];
    if (driver.behaviour === 'exits') {
      await writeFile(
        logOf(name),
        `starting ${launch.agentName}\nusing join token ${token ?? 'none'}\nerror: cannot reach colibrid\n`,
        { flag: 'a' },
      );
      jail.agent = 'stopped';
      return;
    }
    if (driver.behaviour === 'never') return;
    hive.agentStarted(launch.agentName, launch.tenant, token);
  };

  const driver: FakeDriver = {
    kind: 'linux',
    jails,
    calls,
    launches,
    failures,
    preflightReport: PASSING_PREFLIGHT,
    behaviour: 'registers',
    homeOf,
    async plantForeign(name) {
      await mkdir(join(root, name), { recursive: true });
      jails.set(name, {
        info: {
          name,
          agentName: '?',
          tenant: '?',
          home: homeOf(name),
          allowedRoot: root,
          owner: { uid: 1, gid: 1 },
          runtimeVersion: null,
        },
        foreign: true,
        agent: 'stopped',
        generation: 0,
      });
    },
    killAgent(name) {
      ours(name).agent = 'stopped';
    },
    async preflight() {
      return driver.preflightReport;
    },
    async inspect(name): Promise<JailStatus> {
      fail('inspect');
      const jail = jails.get(name);
      if (jail === undefined) return { exists: false };
      return {
        exists: true,
        info: jail.foreign ? null : { ...jail.info },
        agent: jail.agent,
        ...(jail.launched === undefined ? {} : { launched: jail.launched }),
      };
    },
    async create(spec: JailSpec) {
      calls.push(`create ${spec.name}`);
      fail('create');
      if (jails.has(spec.name)) {
        throw new ColibriError('COLIBRI_JAIL_EXISTS', `jail ${spec.name} exists`, { jail: spec.name });
      }
      await mkdir(homeOf(spec.name), { recursive: true });
      const uid = nextUid++;
      const info: JailInfo = {
        name: spec.name,
        agentName: spec.agentName,
        tenant: spec.tenant,
        home: homeOf(spec.name),
        allowedRoot: root,
        owner: { uid, gid: uid },
        runtimeVersion: null,
      };
      jails.set(spec.name, { info, foreign: false, agent: 'stopped', generation: 0 });
      return { ...info };
    },
    async bootstrap(name, runtime) {
      calls.push(`bootstrap ${name}`);
      fail('bootstrap');
      const jail = ours(name);
      jail.info = { ...jail.info, runtimeVersion: runtime.version };
      jail.runtimeRoot = runtime.root ?? runtime.entry;
      return { ...jail.info };
    },
    async startAgent(name, launch) {
      calls.push(`startAgent ${name}`);
      fail('startAgent');
      const jail = ours(name);
      if (jail.info.runtimeVersion === null) {
        throw new ColibriError('COLIBRI_RUNTIME_UNAVAILABLE', 'bootstrap first', {});
      }
      if (jail.agent === 'running') return 'already-running';
      launches.push(launch);
      jail.launched = driver.launchSettings(launch, {
        version: jail.info.runtimeVersion,
        entry: RUNTIME.entry,
        root: jail.runtimeRoot ?? (RUNTIME.root as string),
      });
      jail.agent = 'running';
      jail.generation++;
      void agentProcess(name, jail, launch);
      return 'started';
    },
    launchSettings(launch, runtime) {
      return normalizeLaunchSettings({
        capabilities: launch.capabilities,
        handlersDir: launch.handlersDir ?? null,
        network: launch.network ?? 'none',
        runtime: runtime.root ?? runtime.entry,
      });
    },
    async stopAgent(name) {
      calls.push(`stopAgent ${name}`);
      fail('stopAgent');
      const jail = ours(name);
      if (jail.agent !== 'running') return 'not-running';
      jail.agent = 'stopped';
      jail.generation++;
      hive.agentStopped(jail.info.agentName);
      return 'stopped';
    },
    async destroy(name) {
      calls.push(`destroy ${name}`);
      fail('destroy');
      const jail = jails.get(name);
      if (jail === undefined) return 'absent';
      if (jail.foreign) throw new ColibriError('COLIBRI_JAIL_NOT_FOUND', `not ours: ${name}`, {});
      if (jail.agent === 'running') await driver.stopAgent(name);
      jails.delete(name);
      await rm(join(root, name), { recursive: true, force: true });
      return 'destroyed';
    },
    agentLogPath: logOf,
  };
  return driver;
}

interface FakeToken {
  tenant: string;
  used: boolean;
  revoked: boolean;
}

interface FakeAgent {
  id: string;
  name: string;
  tenant: string | null;
  status: HiveAgent['status'];
  lastSeenAt: string;
  retired: boolean;
}

export interface FakeHive extends HivePort {
  readonly tenants: Map<string, HiveTenant>;
  readonly agents: FakeAgent[];
  readonly tokens: Map<string, FakeToken>;
  /** Every tenant status change: `acme: pending → provisioned (reason)`. */
  readonly tenantEvents: string[];
  /** Calls made to the port (names only, never a token). */
  readonly calls: string[];
  /** Make a port method throw. */
  readonly failures: Partial<Record<keyof HivePort, Error>>;
  addTenant(
    tenant: string,
    options?: { collection?: string | null; status?: TenantStatus; jail?: string },
  ): void;
  addAgent(name: string, tenant: string | null, status?: HiveAgent['status']): FakeAgent;
  /** What a started fake agent does: resume its earlier registration, else register with the token. */
  agentStarted(name: string, tenant: string, token: string | undefined): void;
  agentStopped(name: string): void;
  /** Registers with a join token as the daemon would (used, revoked, expired tokens refused). */
  register(token: string, name: string): FakeAgent;
}

export function createFakeHive(): FakeHive {
  const tenants = new Map<string, HiveTenant>();
  const agents: FakeAgent[] = [];
  const tokens = new Map<string, FakeToken>();
  const tenantEvents: string[] = [];
  const calls: string[] = [];
  const failures: FakeHive['failures'] = {};
  let clock = 0;
  const now = () => `t${String(++clock).padStart(6, '0')}`;
  let serial = 0;
  const fail = (method: keyof HivePort) => {
    const error = failures[method];
    if (error !== undefined) throw error;
  };
  const live = (name: string) => agents.find((agent) => agent.name === name && !agent.retired);
  const view = (agent: FakeAgent): HiveAgent => ({
    id: agent.id,
    name: agent.name,
    tenant: agent.tenant,
    status: agent.status,
    lastSeenAt: agent.lastSeenAt,
  });

  const hive: FakeHive = {
    tenants,
    agents,
    tokens,
    tenantEvents,
    calls,
    failures,
    addTenant(tenant, options = {}) {
      tenants.set(tenant, {
        tenant,
        jail: options.jail ?? tenant,
        collection: options.collection === undefined ? tenant : options.collection,
        collectionId: null,
        status: options.status ?? 'pending',
      });
    },
    addAgent(name, tenant, status = 'idle') {
      const agent: FakeAgent = {
        id: `agent-${++serial}`,
        name,
        tenant,
        status,
        lastSeenAt: now(),
        retired: false,
      };
      agents.push(agent);
      return agent;
    },
    agentStarted(name, tenant, token) {
      const existing = live(name);
      if (existing !== undefined) {
        existing.status = 'idle';
        existing.lastSeenAt = now();
        return;
      }
      if (token === undefined) return;
      try {
        const agent = hive.register(token, name);
        if (agent.tenant !== tenant) throw new Error('wrong tenant');
      } catch {
        // A refused registration leaves the agent unregistered, like run-agent exiting.
      }
    },
    agentStopped(name) {
      // A drained run-agent goes offline on its way out.
      const agent = live(name);
      if (agent !== undefined) agent.status = 'offline';
    },
    register(token, name) {
      const entry = tokens.get(token);
      if (entry === undefined || entry.used || entry.revoked) {
        throw new ColibriError('COLIBRI_JOIN_TOKEN_INVALID', 'join token not usable', {});
      }
      if (live(name) !== undefined) throw new ColibriError('COLIBRI_AGENT_NAME_TAKEN', `${name} taken`, {});
      entry.used = true;
      return hive.addAgent(name, entry.tenant);
    },
    async getTenant(tenant) {
      calls.push(`getTenant ${tenant}`);
      fail('getTenant');
      const found = tenants.get(tenant);
      if (found === undefined) {
        throw new ColibriError('COLIBRI_TENANT_NOT_FOUND', `tenant ${tenant} not found`, { tenant });
      }
      return { ...found };
    },
    async findAgent(name) {
      fail('findAgent');
      const agent = live(name);
      return agent === undefined ? undefined : view(agent);
    },
    async createJoinToken(tenant, ttlSeconds) {
      calls.push(`createJoinToken ${tenant} ${ttlSeconds}`);
      fail('createJoinToken');
      const token = `join-secret-${++serial}-${tenant}`;
      tokens.set(token, { tenant, used: false, revoked: false });
      return { token, expiresAt: 'later' };
    },
    async revokeJoinToken(token) {
      calls.push('revokeJoinToken');
      fail('revokeJoinToken');
      const entry = tokens.get(token);
      if (entry !== undefined && !entry.used) entry.revoked = true;
    },
    async retireAgent(agentId, reason) {
      calls.push(`retireAgent ${agentId}`);
      fail('retireAgent');
      const agent = agents.find((candidate) => candidate.id === agentId);
      if (agent === undefined) throw new ColibriError('COLIBRI_AGENT_NOT_FOUND', `no agent ${agentId}`, {});
      if (!reason.trim()) throw new Error('a reason is required');
      agent.retired = true;
      agent.status = 'offline';
    },
    async setTenantStatus(tenant, status, reason) {
      calls.push(`setTenantStatus ${tenant} ${status}`);
      fail('setTenantStatus');
      const found = tenants.get(tenant);
      if (found === undefined) throw new ColibriError('COLIBRI_TENANT_NOT_FOUND', `tenant ${tenant}`, {});
      if (found.status === status) return;
      if (!isLegalTenantTransition(found.status, status)) {
        throw new ColibriError(
          'COLIBRI_ILLEGAL_TRANSITION',
          `${found.status} → ${status} is not allowed`,
          {},
        );
      }
      tenantEvents.push(`${tenant}: ${found.status} → ${status} (${reason})`);
      tenants.set(tenant, { ...found, status });
    },
  };
  return hive;
}

export interface FakeProvision {
  readonly provision: ProvisionEnv;
  /** The tenant's own secrets, by tenant. */
  readonly secrets: Map<string, Record<string, string>>;
  readonly requests: ProvisionRequest[];
  failure: Error | undefined;
}

/** Writes `<home>/.env` (mode 0600) from the tenant's secrets plus the extra variables. */
export function createFakeProvision(): FakeProvision {
  const state: FakeProvision = {
    secrets: new Map(),
    requests: [],
    failure: undefined,
    async provision(request) {
      state.requests.push(request);
      if (state.failure !== undefined) throw state.failure;
      const path = join(request.jailHome, '.env');
      const mine = request.tenant.collection === null ? undefined : state.secrets.get(request.tenant.tenant);
      const own = mine ?? {};
      const tenantSecrets = mine === undefined ? ('none' as const) : Object.keys(own).length;
      const variables = { ...own, ...request.extraVariables };
      if (Object.keys(variables).length === 0) return { outcome: 'no-bucket', path, variables: 0 };
      const content = Object.keys(variables)
        .sort()
        .map((key) => `${key}='${variables[key]}'\n`)
        .join('');
      const existing = await readFile(path, 'utf8').catch(() => undefined);
      if (existing === content)
        return { outcome: 'unchanged', path, variables: Object.keys(variables).length, tenantSecrets };
      await writeFile(path, content, { mode: 0o600 });
      return { outcome: 'written', path, variables: Object.keys(variables).length, tenantSecrets };
    },
  };
  return state;
}
