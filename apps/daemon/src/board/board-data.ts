import type {
  ApiAgent,
  ApiTask,
  ApiTaskEvent,
  ApiTenant,
  ApiTenantEvent,
  ParkedReason,
  ShowTaskResponse,
  StatusResponse,
} from '@colibri/api';
import { isColibriError } from '@colibri/errors';
import { type TaskStatus, TERMINAL_TASK_STATUSES } from '@colibri/protocol';
import { requireSelfOrOperator } from '../api/access.js';
import type { App } from '../api/app.js';
import { toApiAgent, toApiTask } from '../api/to-api.js';
import type { Principal } from '../auth/authenticator.js';
import type { ApiReader } from './api-reader.js';

/** Who is looking: the operator, or one agent (and so one tenant, or the shared lanes). */
export type Viewer = Exclude<Principal, { kind: 'unknown' }>;

/** Parked tasks that need the same set of tags. */
export interface WaitingGroup {
  /** The required tags, sorted; empty = any agent. */
  readonly tags: readonly string[];
  readonly count: number;
  readonly oldestCreatedAt: string;
  /** False when no online agent the group's first task may use has every tag: the "no capable agent online" badge. */
  readonly capableOnline: boolean;
  /** Tags of the set no agent has ever advertised (likely typos). */
  readonly neverAdvertised: readonly string[];
}

/** A parked task and why it waits. */
export interface ParkedItem {
  readonly task: ApiTask;
  readonly reason: ParkedReason | undefined;
}

/** A tenant and how its last provision went. */
export interface TenantRow {
  readonly tenant: ApiTenant;
  readonly lastProvision: {
    readonly outcome: string;
    readonly at: string;
    readonly reason: string | null;
  } | null;
}

/** Everything the first screen shows. */
export interface Overview {
  readonly status: StatusResponse;
  readonly waiting: readonly WaitingGroup[];
  readonly parked: readonly ParkedItem[];
  /** How many parked tasks were read (at most {@link PARKED_SCAN}); the status counts hold the total. */
  readonly parkedScanned: number;
  /** All agents for the operator; for an agent, itself only. */
  readonly agents: readonly ApiAgent[];
  /** Tenants for the operator; null for an agent (the API keeps them from agents). */
  readonly tenants: readonly TenantRow[] | null;
  readonly recent: readonly ApiTask[];
  /** Agent names by id, for the agents this viewer may see. */
  readonly agentNames: ReadonlyMap<string, string>;
}

/** A task page. */
export interface TaskView extends ShowTaskResponse {
  /** The event log split by attempt (0 = before the first assignment). */
  readonly attempts: readonly { readonly attempt: number; readonly events: readonly ApiTaskEvent[] }[];
  readonly agentNames: ReadonlyMap<string, string>;
}

/** An agent page. */
export interface AgentView {
  readonly agent: ApiAgent;
  /** Its assigned and running tasks. */
  readonly active: readonly ApiTask[];
  /** The last tasks it was given that ended, newest first. */
  readonly recent: readonly ApiTask[];
}

/** What a search found. */
export interface SearchResult {
  readonly query: string;
  readonly tasks: readonly ApiTask[];
  readonly agents: readonly ApiAgent[];
  /** True when the tasks searched were cut at {@link SEARCH_SCAN}. */
  readonly truncated: boolean;
}

/** Parked tasks read for the first screen's grouping. */
export const PARKED_SCAN = 2000;
/** Parked tasks listed one by one, with their reason. */
export const PARKED_SHOWN = 25;
/** Tag-set groups explained (one representative task each). */
const GROUPS_EXPLAINED = 50;
/** Finished tasks shown as "recent". */
export const RECENT_SHOWN = 15;
/** Finished tasks read per status to find the most recent ones. */
const RECENT_SCAN = 1000;
/** Tenants whose event log is read for the last provision. */
const TENANT_EVENTS_READ = 200;
/** Tasks scanned by a search. */
export const SEARCH_SCAN = 10_000;
/** Matches shown per kind. */
const SEARCH_SHOWN = 50;

const newestFirst = (a: ApiTask, b: ApiTask) => b.updatedAt.localeCompare(a.updatedAt);

/**
 * The board's reads, each made through the API's own handlers as the viewer ({@link ApiReader}),
 * so the board shows exactly what the viewer's token may read through the API. Only the agent
 * page reads the store itself, after the API's `requireSelfOrOperator`: the API has no
 * single-agent read, and an agent may see only itself.
 */
export class BoardData {
  readonly #app: App;
  readonly #api: ApiReader;

  constructor(app: App, api: ApiReader) {
    this.#app = app;
    this.#api = api;
  }

  async overview(viewer: Viewer): Promise<Overview> {
    const [status, parkedList, agents, tenants, recent] = await Promise.all([
      this.#api.call<StatusResponse>(viewer, 'GET', '/v1/status'),
      this.#tasks(viewer, 'parked', PARKED_SCAN),
      this.#visibleAgents(viewer),
      viewer.kind === 'operator' ? this.#tenants(viewer) : Promise.resolve(null),
      this.#recent(viewer),
    ]);
    const groups = new Map<string, ApiTask[]>();
    for (const task of parkedList) {
      const key = [...task.requiredCapabilities].sort().join('\u0000');
      const group = groups.get(key);
      if (group === undefined) groups.set(key, [task]);
      else group.push(task);
    }
    const explained = new Map<string, ParkedReason | undefined>();
    const explain = async (task: ApiTask) => {
      if (!explained.has(task.id)) explained.set(task.id, await this.#reason(viewer, task));
      return explained.get(task.id);
    };
    const waiting: WaitingGroup[] = [];
    let index = 0;
    for (const tasks of groups.values()) {
      // Dispatch order: the first is the one served next; the oldest may be further down.
      const first = tasks[0]!;
      const reason = index++ < GROUPS_EXPLAINED ? await explain(first) : undefined;
      waiting.push({
        tags: [...first.requiredCapabilities].sort(),
        count: tasks.length,
        oldestCreatedAt: tasks.map((t) => t.createdAt).sort()[0]!,
        capableOnline: reason?.candidates.some((c) => c.missing.length === 0) ?? false,
        neverAdvertised: reason?.neverAdvertised.map((n) => n.tag) ?? [],
      });
    }
    waiting.sort((a, b) => b.count - a.count || a.oldestCreatedAt.localeCompare(b.oldestCreatedAt));
    const parked: ParkedItem[] = [];
    for (const task of parkedList.slice(0, PARKED_SHOWN)) parked.push({ task, reason: await explain(task) });
    return {
      status,
      waiting,
      parked,
      parkedScanned: parkedList.length,
      agents,
      tenants,
      recent,
      agentNames: new Map(agents.map((a) => [a.id, a.name])),
    };
  }

  async task(viewer: Viewer, taskId: string): Promise<TaskView> {
    const shown = await this.#api.call<ShowTaskResponse>(
      viewer,
      'GET',
      `/v1/tasks/${encodeURIComponent(taskId)}`,
    );
    const attempts = new Map<number, ApiTaskEvent[]>();
    for (const event of shown.events) {
      const list = attempts.get(event.attempt);
      if (list === undefined) attempts.set(event.attempt, [event]);
      else list.push(event);
    }
    const agents = await this.#visibleAgents(viewer);
    return {
      ...shown,
      attempts: [...attempts].map(([attempt, events]) => ({ attempt, events })),
      agentNames: new Map(agents.map((a) => [a.id, a.name])),
    };
  }

  async agent(viewer: Viewer, agentId: string): Promise<AgentView> {
    requireSelfOrOperator(viewer, agentId, 'see the board page of an agent');
    const { store } = this.#app;
    const [record, mine] = await Promise.all([
      store.getAgent(agentId),
      store.listTasks({ assignedAgentId: agentId, limit: RECENT_SCAN }),
    ]);
    const active = mine.filter((t) => t.status === 'assigned' || t.status === 'running').map(toApiTask);
    const recent = mine
      .filter((t) => TERMINAL_TASK_STATUSES.has(t.status))
      .map(toApiTask)
      .sort(newestFirst)
      .slice(0, RECENT_SHOWN);
    // Its last heartbeat as this daemon remembers it (an idle agent's is written only in batches).
    return { agent: toApiAgent(this.#app.lastSeen.view(record), active.length), active, recent };
  }

  /**
   * Tasks whose id starts with the query or whose title contains it (case-insensitive), and — for
   * the operator — agents whose id starts with it or whose name contains it. An exact id or agent
   * name is reported as `exact` so the board can go straight to its page.
   */
  async search(
    viewer: Viewer,
    query: string,
  ): Promise<SearchResult & { exact?: { kind: 'task' | 'agent'; id: string } }> {
    const q = query.trim();
    const needle = q.toLowerCase();
    const [tasks, agents] = await Promise.all([
      this.#tasks(viewer, undefined, SEARCH_SCAN),
      this.#visibleAgents(viewer),
    ]);
    const exactTask = tasks.find((t) => t.id === q);
    if (exactTask !== undefined) return this.#found(q, 'task', exactTask.id);
    const exactAgent = agents.find((a) => a.id === q || a.name === q);
    if (exactAgent !== undefined) return this.#found(q, 'agent', exactAgent.id);
    if (needle === '') return { query: q, tasks: [], agents: [], truncated: false };
    const taskHits = tasks.filter((t) => t.id.startsWith(needle) || t.title.toLowerCase().includes(needle));
    const agentHits = agents.filter((a) => a.id.startsWith(needle) || a.name.toLowerCase().includes(needle));
    return {
      query: q,
      tasks: taskHits.sort(newestFirst).slice(0, SEARCH_SHOWN),
      agents: agentHits.slice(0, SEARCH_SHOWN),
      truncated: tasks.length >= SEARCH_SCAN,
    };
  }

  #found(query: string, kind: 'task' | 'agent', id: string) {
    return { query, tasks: [], agents: [], truncated: false, exact: { kind, id } } as const;
  }

  async #tasks(viewer: Viewer, status: TaskStatus | undefined, limit: number): Promise<ApiTask[]> {
    const { tasks } = await this.#api.call<{ tasks: ApiTask[] }>(viewer, 'GET', '/v1/tasks', {
      query: { status, limit: String(limit) },
    });
    return tasks;
  }

  async #recent(viewer: Viewer): Promise<ApiTask[]> {
    const lists = await Promise.all(
      [...TERMINAL_TASK_STATUSES].map((status) => this.#tasks(viewer, status, RECENT_SCAN)),
    );
    return lists.flat().sort(newestFirst).slice(0, RECENT_SHOWN);
  }

  async #reason(viewer: Viewer, task: ApiTask): Promise<ParkedReason | undefined> {
    try {
      const shown = await this.#api.call<ShowTaskResponse>(viewer, 'GET', `/v1/tasks/${task.id}`);
      return shown.parked;
    } catch (error) {
      // Assigned or gone since the list was read: nothing to explain any more.
      if (isColibriError(error, 'COLIBRI_TASK_NOT_FOUND')) return undefined;
      throw error;
    }
  }

  /** The operator sees every agent (the API's list); an agent sees only itself. */
  async #visibleAgents(viewer: Viewer): Promise<ApiAgent[]> {
    if (viewer.kind === 'operator') {
      return (await this.#api.call<{ agents: ApiAgent[] }>(viewer, 'GET', '/v1/agents')).agents;
    }
    return [(await this.agent(viewer, viewer.agentId)).agent];
  }

  async #tenants(viewer: Viewer): Promise<TenantRow[]> {
    const { tenants } = await this.#api.call<{ tenants: ApiTenant[] }>(viewer, 'GET', '/v1/tenants');
    return Promise.all(
      tenants.map(async (tenant, i): Promise<TenantRow> => {
        if (i >= TENANT_EVENTS_READ) return { tenant, lastProvision: null };
        const { events } = await this.#api.call<{ events: ApiTenantEvent[] }>(
          viewer,
          'GET',
          `/v1/tenants/${encodeURIComponent(tenant.tenant)}`,
        );
        const last = events.findLast((e) => typeof e.details?.outcome === 'string');
        return {
          tenant,
          lastProvision:
            last === undefined
              ? null
              : { outcome: String(last.details!.outcome), at: last.at, reason: last.reason },
        };
      }),
    );
  }
}
