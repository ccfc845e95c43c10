import { explanation, type ParkedCandidate, type ParkedExplanation } from './explain-parked.js';
import { hasFreeSlot, isOnline } from './is-eligible.js';
import { isLessBusy } from './pick-agent.js';
import type { SchedulableAgent, TaskRequirements } from './schedulable-agent.js';
import { TieredPosting } from './tiered-posting.js';

interface Entry {
  /** Frozen snapshot handed back by `get` and `pick`; replaced (not mutated) by `setLoad`. */
  agent: SchedulableAgent;
  readonly tags: ReadonlySet<string>;
  readonly tagCount: number;
}

/** The online agents of one tenant (or the shared agents, under key `null`). */
interface Scope {
  readonly everyone: TieredPosting<Entry>;
  readonly postings: Map<string, TieredPosting<Entry>>;
}

/**
 * An incrementally maintained index of the fleet that picks the same agent as
 * `pickAgent(task, allAgents)` without scanning every agent.
 *
 * Online agents are posted per scope (each tenant, and the shared agents) under each tag they
 * offer, every posting list split into tiers by the agent's tag count. `pick` looks only at the
 * task's scopes (its tenant's and the shared one), starts from the rarest required tag's posting
 * list, and walks its tiers fewest-tags-first, stopping at the first tier holding an agent that
 * has all required tags and a free slot; within that tier the smallest `load / slots`, then
 * smallest id, wins. Agents whose slots are all in use are skipped (the task waits, parked).
 *
 * Cost, for r required tags and n agents in the task's scopes:
 * - `pick`: O(r) to find the rarest posting list (O(r) in total when a tag is missing: the task
 *   parks at once), then r set lookups per agent in the tiers it walks. Worst case the whole
 *   rarest list, so O(r · |rarest list|) ≤ O(r · n); a task with no tags walks only the
 *   fewest-tags tier.
 * - `upsert` / `remove`: O(t) for an agent with t tags (plus a sorted insert into at most one
 *   short list of tag counts per posting).
 * - `setLoad`: O(1).
 * - `explainParked`: O(n · r), as the scan.
 *
 * Keep one index per daemon and feed it every registration, heartbeat expiry and assignment
 * (`upsert`, `remove`, `setLoad`); it reads no clock and does no I/O.
 */
export class AgentIndex {
  readonly #entries = new Map<string, Entry>();
  readonly #scopes = new Map<string | null, Scope>();

  /** Builds the index from an initial fleet (later agents with the same id replace earlier ones). */
  constructor(agents: Iterable<SchedulableAgent> = []) {
    for (const agent of agents) this.upsert(agent);
  }

  /** How many agents the index knows, offline ones included. */
  get size(): number {
    return this.#entries.size;
  }

  /** The agent with this id as the index holds it (a frozen snapshot, current load), if known. */
  get(id: string): SchedulableAgent | undefined {
    return this.#entries.get(id)?.agent;
  }

  /** Every agent the index knows, offline ones included, in no particular order. */
  *values(): IterableIterator<SchedulableAgent> {
    for (const entry of this.#entries.values()) yield entry.agent;
  }

  /**
   * Inserts `agent`, or replaces the agent with the same id (new tags, tenant, status or load).
   * The index keeps a frozen copy, so later changes to `agent` do not reach it. An `offline`
   * agent is remembered but never picked until it is upserted online again.
   */
  upsert(agent: SchedulableAgent): void {
    this.remove(agent.id);
    const snapshot: SchedulableAgent = Object.freeze({
      id: agent.id,
      capabilities: Object.freeze([...agent.capabilities]),
      status: agent.status,
      tenant: agent.tenant,
      load: agent.load,
      slots: agent.slots,
    });
    const tags = new Set(snapshot.capabilities);
    const entry: Entry = { agent: snapshot, tags, tagCount: tags.size };
    this.#entries.set(snapshot.id, entry);
    if (isOnline(snapshot)) this.#post(entry);
  }

  /** Forgets the agent with this id. Returns false if the index did not know it. */
  remove(id: string): boolean {
    const entry = this.#entries.get(id);
    if (entry === undefined) return false;
    this.#entries.delete(id);
    if (isOnline(entry.agent)) this.#unpost(entry);
    return true;
  }

  /**
   * Records the agent's current load (call it on every assignment and completion). O(1): the
   * postings do not depend on load. Returns false if the index does not know the agent.
   */
  setLoad(id: string, load: number): boolean {
    const entry = this.#entries.get(id);
    if (entry === undefined) return false;
    if (entry.agent.load !== load) entry.agent = Object.freeze({ ...entry.agent, load });
    return true;
  }

  /**
   * The agent that should run `task`, or `null` to park it: exactly what
   * `pickAgent(task, [...index.values()])` returns, found without a full scan.
   */
  pick(task: TaskRequirements): SchedulableAgent | null {
    const required = [...new Set(task.requiredCapabilities)];
    const walks: { readonly posting: TieredPosting<Entry>; at: number }[] = [];
    for (const scope of this.#scopesFor(task.tenant)) {
      const posting = rarestPosting(scope, required);
      if (posting === undefined) continue;
      // An agent with fewer distinct tags than the task requires cannot have them all.
      const at = posting.tagCounts.findIndex((count) => count >= required.length);
      if (at >= 0) walks.push({ posting, at });
    }
    for (;;) {
      let tagCount = Number.POSITIVE_INFINITY;
      for (const walk of walks) tagCount = Math.min(tagCount, walk.posting.tagCounts[walk.at] ?? tagCount);
      if (tagCount === Number.POSITIVE_INFINITY) return null;
      // Every agent in this tier has the same number of extra tags, so only load/slots and id decide.
      let best: Entry | undefined;
      for (const walk of walks) {
        if (walk.posting.tagCounts[walk.at] !== tagCount) continue;
        walk.at++;
        for (const entry of walk.posting.tier(tagCount)!) {
          if (!hasFreeSlot(entry.agent)) continue;
          if (best !== undefined && !isLessBusy(entry.agent, best.agent)) continue;
          if (hasAll(entry.tags, required)) best = entry;
        }
      }
      if (best !== undefined) return best.agent;
    }
  }

  /** Why `task` is parked: the same answer as `explainParked(task, [...index.values()])`. */
  explainParked(task: TaskRequirements): ParkedExplanation {
    const required = [...new Set(task.requiredCapabilities)];
    const offered = new Set<string>();
    const candidates: ParkedCandidate[] = [];
    for (const scope of this.#scopesFor(task.tenant)) {
      for (const tag of required) if (scope.postings.has(tag)) offered.add(tag);
      for (const entry of scope.everyone) {
        candidates.push({ agentId: entry.agent.id, missing: required.filter((tag) => !entry.tags.has(tag)) });
      }
    }
    return explanation(required, candidates, offered);
  }

  /** The scopes whose agents may take a task of `tenant`: its own (if any) and the shared one. */
  #scopesFor(tenant: string | null): Scope[] {
    const scopes: Scope[] = [];
    const shared = this.#scopes.get(null);
    if (shared !== undefined) scopes.push(shared);
    if (tenant !== null) {
      const own = this.#scopes.get(tenant);
      if (own !== undefined) scopes.push(own);
    }
    return scopes;
  }

  #post(entry: Entry): void {
    let scope = this.#scopes.get(entry.agent.tenant);
    if (scope === undefined) {
      scope = { everyone: new TieredPosting(), postings: new Map() };
      this.#scopes.set(entry.agent.tenant, scope);
    }
    scope.everyone.add(entry);
    for (const tag of entry.tags) {
      let posting = scope.postings.get(tag);
      if (posting === undefined) {
        posting = new TieredPosting();
        scope.postings.set(tag, posting);
      }
      posting.add(entry);
    }
  }

  #unpost(entry: Entry): void {
    const scope = this.#scopes.get(entry.agent.tenant)!;
    scope.everyone.delete(entry);
    for (const tag of entry.tags) {
      const posting = scope.postings.get(tag)!;
      posting.delete(entry);
      if (posting.size === 0) scope.postings.delete(tag);
    }
    // Drop empty scopes so tenants that come and go leave nothing behind.
    if (scope.everyone.size === 0) this.#scopes.delete(entry.agent.tenant);
  }
}

/** The smallest posting list among the required tags in `scope`; undefined if one tag is absent. */
function rarestPosting(scope: Scope, required: readonly string[]): TieredPosting<Entry> | undefined {
  if (required.length === 0) return scope.everyone;
  let rarest: TieredPosting<Entry> | undefined;
  for (const tag of required) {
    const posting = scope.postings.get(tag);
    if (posting === undefined) return undefined;
    if (rarest === undefined || posting.size < rarest.size) rarest = posting;
  }
  return rarest;
}

function hasAll(tags: ReadonlySet<string>, required: readonly string[]): boolean {
  for (const tag of required) if (!tags.has(tag)) return false;
  return true;
}
