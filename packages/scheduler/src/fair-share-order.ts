import { compareParked, type ParkedTask } from './parked-task-index.js';

/**
 * When each tenant was last given an agent: larger = more recent (any increasing counter, e.g.
 * the dispatcher's assignment serial). A tenant absent from the map was never served. Key `null`
 * is the operator's own tasks, which take turns like a tenant.
 */
export type LastServed = ReadonlyMap<string | null, number>;

/**
 * The order in which parked tasks competing for the same agents are handed out, so that one
 * tenant's backlog cannot starve another tenant's work ("fair shares").
 *
 * Rule, applied one task at a time (as if each were assigned before the next is chosen):
 * 1. the highest `priority` among the tenants' next tasks goes first (priority still wins across
 *    tenants);
 * 2. among equal priorities, the tenant served least recently (`lastServed`, never served =
 *    first) — taking its task counts as serving it, so tenants alternate;
 * 3. then the older task (`createdAt`), then the smaller id (as `compareParked`).
 * Within one tenant, tasks keep their dispatch order (priority, then age, then id).
 *
 * So with tenant A holding 10,000 tasks and tenant B one, at equal priority B's task is at most
 * the second handed out (first when A was served more recently than B). Returns at most `limit`
 * tasks; pure (reads no clock, changes neither argument). O(n log n + limit · t) for n tasks of
 * t tenants.
 */
export function fairShareOrder(
  tasks: Iterable<ParkedTask>,
  lastServed: LastServed,
  limit = Number.POSITIVE_INFINITY,
): ParkedTask[] {
  const queues = new Map<string | null, ParkedTask[]>();
  for (const task of tasks) {
    const queue = queues.get(task.tenant);
    if (queue === undefined) queues.set(task.tenant, [task]);
    else queue.push(task);
  }
  const lanes = [...queues].map(([tenant, queue]) => ({
    tenant,
    queue: queue.sort(compareParked),
    at: 0,
    served: lastServed.get(tenant) ?? Number.NEGATIVE_INFINITY,
  }));
  let serial = Math.max(0, ...lastServed.values());
  const out: ParkedTask[] = [];
  while (out.length < limit) {
    let best: (typeof lanes)[number] | undefined;
    for (const lane of lanes) {
      if (lane.at >= lane.queue.length) continue;
      if (best === undefined || goesFirst(lane, best)) best = lane;
    }
    if (best === undefined) break;
    out.push(best.queue[best.at]!);
    best.at++;
    best.served = ++serial;
  }
  return out;
}

interface Lane {
  readonly queue: readonly ParkedTask[];
  readonly at: number;
  readonly served: number;
}

function goesFirst(a: Lane, b: Lane): boolean {
  const x = a.queue[a.at]!;
  const y = b.queue[b.at]!;
  if (x.priority !== y.priority) return x.priority > y.priority;
  if (a.served !== b.served) return a.served < b.served;
  return compareParked(x, y) < 0;
}
