import { fairShareOrder, type LastServed } from './fair-share-order.js';
import { hasFreeSlot, isOnline } from './is-eligible.js';
import type { SchedulableAgent } from './schedulable-agent.js';

/** What the index keeps of one parked task: enough to match and order it, nothing more (no payload). */
export interface ParkedTask {
  /** The task's id (unique). */
  readonly id: string;
  /** The owning tenant, or `null` for an operator task (only shared agents may take it). */
  readonly tenant: string | null;
  /** Tags the agent must ALL offer. */
  readonly requiredCapabilities: readonly string[];
  /** Higher goes first. */
  readonly priority: number;
  /** Taken in at (ms since the epoch); older goes first among equal priorities. */
  readonly createdAt: number;
  /** The attempt it is parked at (the compare-and-set value of its next assignment). */
  readonly attempt: number;
}

/** A set of parked tasks that require the same tags in the same tenant scope. */
interface Group {
  readonly key: string;
  readonly tenant: string | null;
  /** Distinct required tags, sorted. */
  readonly tags: readonly string[];
  /** The tag this group is posted under in its scope (`null`: no tags, posted as "anyone"). */
  readonly postedUnder: string | null;
  /** Its tasks in dispatch order (priority desc, then createdAt asc, then id asc), from `head` on. */
  readonly tasks: ParkedTask[];
  /**
   * Where the live tasks start: taking the first task (the usual case, best first) moves `head`
   * instead of shifting the array; the dead prefix is cut off once it is large.
   */
  head: number;
}

function sizeOf(group: Group): number {
  return group.tasks.length - group.head;
}

interface Scope {
  /** Groups that require no tag: any eligible agent can run them. */
  readonly untagged: Set<Group>;
  /** Each tagged group posted under ONE of its tags (an agent lacking that tag cannot run it). */
  readonly byTag: Map<string, Set<Group>>;
}

interface Entry {
  task: ParkedTask;
  readonly group: Group;
  /** The sweep generation that last saw or wrote it (see `beginSweep`). */
  generation: number;
}

/** Dispatch order: priority desc, then age (oldest first), then id. Negative when `a` goes first. */
export function compareParked(a: ParkedTask, b: ParkedTask): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  if (a.createdAt !== b.createdAt) return a.createdAt - b.createdAt;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * An in-memory index of the parked tasks, grouped by (tenant, required tag set), so that an agent
 * that appears, comes back or changes its tags finds the tasks it can run without reading every
 * parked task: `runnableBy(agent, n)` costs O(g + n · log g) for the g groups it can run, plus the
 * groups posted under its tags that it cannot (each group is posted under one of its tags, the one
 * with the fewest groups when it was created, so unrelated backlogs do not pile up under a common
 * tag). 100,000 parked tasks that no agent can run cost an agent event nothing but those lookups.
 *
 * The index is a cache of the store: the daemon adds a task when it parks, removes it when it is
 * assigned or finishes, and rebuilds it from the store with a sweep (`beginSweep`, `upsert` every
 * parked task read, `endSweep` drops what the sweep did not see). A stale entry is harmless (the
 * store's compare-and-set refuses the assignment, and the daemon removes it); a missing one waits
 * for the next sweep. No I/O, no clock.
 */
export class ParkedTaskIndex {
  readonly #entries = new Map<string, Entry>();
  readonly #groups = new Map<string, Group>();
  readonly #scopes = new Map<string | null, Scope>();
  #generation = 0;

  /** How many parked tasks the index holds. */
  get size(): number {
    return this.#entries.size;
  }

  /** The task with this id as the index holds it, if it does. */
  get(id: string): ParkedTask | undefined {
    return this.#entries.get(id)?.task;
  }

  /** Adds a parked task, or replaces the one with the same id (a new attempt, say). */
  upsert(task: ParkedTask): void {
    const tags = distinctSorted(task.requiredCapabilities);
    const key = groupKey(task.tenant, tags);
    const snapshot: ParkedTask = {
      id: task.id,
      tenant: task.tenant,
      requiredCapabilities: tags,
      priority: task.priority,
      createdAt: task.createdAt,
      attempt: task.attempt,
    };
    const existing = this.#entries.get(task.id);
    if (existing !== undefined) {
      if (existing.group.key === key && compareParked(existing.task, snapshot) === 0) {
        existing.group.tasks[indexOf(existing.group, existing.task)] = snapshot;
        existing.task = snapshot;
        existing.generation = this.#generation;
        return;
      }
      this.remove(task.id);
    }
    const group = this.#groups.get(key) ?? this.#newGroup(key, task.tenant, tags);
    insertSorted(group, snapshot);
    this.#entries.set(snapshot.id, { task: snapshot, group, generation: this.#generation });
  }

  /** Forgets the task with this id (assigned, finished, cancelled). Returns false if it was not held. */
  remove(id: string): boolean {
    const entry = this.#entries.get(id);
    if (entry === undefined) return false;
    this.#entries.delete(id);
    const { group } = entry;
    const at = indexOf(group, entry.task);
    if (at === group.head) {
      group.head++;
      if (group.head >= 1024 && group.head * 2 >= group.tasks.length) {
        group.tasks.splice(0, group.head);
        group.head = 0;
      }
    } else if (at > group.head) group.tasks.splice(at, 1);
    if (sizeOf(group) === 0) this.#dropGroup(group);
    return true;
  }

  /**
   * Up to `limit` parked tasks `agent` may run (online, the tenant rule, ALL required tags), in
   * dispatch order (priority desc, then oldest, then id) — or, given `lastServed`, in fair-share
   * order across tenants (see `fairShareOrder`). An offline agent, or one with no free slot, can
   * run none.
   */
  runnableBy(agent: SchedulableAgent, limit: number, lastServed?: LastServed): ParkedTask[] {
    if (!isOnline(agent) || !hasFreeSlot(agent) || limit <= 0) return [];
    const offered = new Set(agent.capabilities);
    const groups: Group[] = [];
    const scopes =
      agent.tenant === null ? [...this.#scopes.values()] : [this.#scopes.get(agent.tenant)].filter(isDefined);
    for (const scope of scopes) {
      for (const group of scope.untagged) groups.push(group);
      for (const tag of offered) {
        for (const group of scope.byTag.get(tag) ?? []) {
          if (group.tags.every((required) => offered.has(required))) groups.push(group);
        }
      }
    }
    if (lastServed === undefined) return mergeHeads(groups, limit);
    // Only the first `limit` of each tenant can be handed out: merge per tenant, then take turns.
    const byTenant = new Map<string | null, Group[]>();
    for (const group of groups) {
      const list = byTenant.get(group.tenant);
      if (list === undefined) byTenant.set(group.tenant, [group]);
      else list.push(group);
    }
    const heads = [...byTenant.values()].flatMap((tenantGroups) => mergeHeads(tenantGroups, limit));
    return fairShareOrder(heads, lastServed, limit);
  }

  /** Every group of parked tasks: its tenant, its tags and how many tasks it holds (for metrics and explanations). */
  *groups(): IterableIterator<{
    tenant: string | null;
    requiredCapabilities: readonly string[];
    size: number;
  }> {
    for (const group of this.#groups.values()) {
      yield { tenant: group.tenant, requiredCapabilities: group.tags, size: sizeOf(group) };
    }
  }

  /**
   * Starts a rebuild from the store: every `upsert` from now on (the sweep's and any other) marks
   * its task as seen; `endSweep` with the returned generation then drops every task not seen.
   */
  beginSweep(): number {
    this.#generation++;
    return this.#generation;
  }

  /** Drops the tasks no upsert touched since `beginSweep` returned `generation`. Returns how many. */
  endSweep(generation: number): number {
    let dropped = 0;
    for (const [id, entry] of this.#entries) {
      if (entry.generation < generation) {
        this.remove(id);
        dropped++;
      }
    }
    return dropped;
  }

  #newGroup(key: string, tenant: string | null, tags: readonly string[]): Group {
    let scope = this.#scopes.get(tenant);
    if (scope === undefined) {
      scope = { untagged: new Set(), byTag: new Map() };
      this.#scopes.set(tenant, scope);
    }
    // Post under the tag with the fewest groups so far: a common tag (linux) does not collect
    // every group that also needs a rare one.
    let postedUnder: string | null = null;
    let fewest = Number.POSITIVE_INFINITY;
    for (const tag of tags) {
      const count = scope.byTag.get(tag)?.size ?? 0;
      if (count < fewest) {
        fewest = count;
        postedUnder = tag;
      }
    }
    const group: Group = { key, tenant, tags, postedUnder, tasks: [], head: 0 };
    this.#groups.set(key, group);
    if (postedUnder === null) scope.untagged.add(group);
    else {
      let posting = scope.byTag.get(postedUnder);
      if (posting === undefined) {
        posting = new Set();
        scope.byTag.set(postedUnder, posting);
      }
      posting.add(group);
    }
    return group;
  }

  #dropGroup(group: Group): void {
    this.#groups.delete(group.key);
    const scope = this.#scopes.get(group.tenant);
    if (scope === undefined) return;
    if (group.postedUnder === null) scope.untagged.delete(group);
    else {
      const posting = scope.byTag.get(group.postedUnder);
      posting?.delete(group);
      if (posting?.size === 0) scope.byTag.delete(group.postedUnder);
    }
    if (scope.untagged.size === 0 && scope.byTag.size === 0) this.#scopes.delete(group.tenant);
  }
}

function isDefined<T>(value: T | undefined): value is T {
  return value !== undefined;
}

function distinctSorted(tags: readonly string[]): string[] {
  if (tags.length === 0) return [];
  if (tags.length === 1) return [tags[0]!];
  return [...new Set(tags)].sort();
}

function groupKey(tenant: string | null, tags: readonly string[]): string {
  // JSON keeps tenant null apart from a tenant named "null" and tags containing separators apart.
  return JSON.stringify([tenant, tags]);
}

/** Index of the first live task of `group` that does not go before `task`. */
function lowerBound(group: Group, task: ParkedTask): number {
  const sorted = group.tasks;
  let lo = group.head;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareParked(sorted[mid]!, task) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertSorted(group: Group, task: ParkedTask): void {
  const at = lowerBound(group, task);
  if (at === group.head && group.head > 0) {
    group.head--;
    group.tasks[group.head] = task;
  } else group.tasks.splice(at, 0, task);
}

function indexOf(group: Group, task: ParkedTask): number {
  const at = lowerBound(group, task);
  return group.tasks[at]?.id === task.id ? at : -1;
}

/** The first `limit` tasks of several sorted groups, merged in dispatch order (a binary heap of group heads). */
function mergeHeads(groups: readonly Group[], limit: number): ParkedTask[] {
  if (groups.length === 1) {
    const only = groups[0]!;
    return only.tasks.slice(only.head, only.head + limit);
  }
  const heap: { group: Group; at: number }[] = [];
  const less = (i: number, j: number) =>
    compareParked(heap[i]!.group.tasks[heap[i]!.at]!, heap[j]!.group.tasks[heap[j]!.at]!) < 0;
  const swap = (i: number, j: number) => {
    const t = heap[i]!;
    heap[i] = heap[j]!;
    heap[j] = t;
  };
  const down = (start: number) => {
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && less(l, m)) m = l;
      if (r < heap.length && less(r, m)) m = r;
      if (m === i) return;
      swap(i, m);
      i = m;
    }
  };
  for (const group of groups) if (sizeOf(group) > 0) heap.push({ group, at: group.head });
  for (let i = (heap.length >>> 1) - 1; i >= 0; i--) down(i);
  const out: ParkedTask[] = [];
  while (out.length < limit && heap.length > 0) {
    const top = heap[0]!;
    out.push(top.group.tasks[top.at]!);
    top.at++;
    if (top.at >= top.group.tasks.length) {
      heap[0] = heap[heap.length - 1]!;
      heap.pop();
    }
    if (heap.length > 0) down(0);
  }
  return out;
}
