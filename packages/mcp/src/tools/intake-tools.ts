import type { ApiTask, ParkedReason } from '@colibri/api';
import { parseCapabilities, parseDuration, parseTenantName, TASK_STATUSES } from '@colibri/protocol';
import * as v from 'valibot';
import { defineTool } from '../define-tool.js';
import { attempt as attemptField, integer, tagList, taskId, tenant, text } from '../field-schemas.js';
import { parkedReasonSchema, taskEventSchema, taskSchema } from '../output-schemas.js';
import { waitForTask } from '../wait-for-task.js';

/** The longest `wait_for_task` holds a call, in seconds. */
export const MAX_WAIT_SECONDS = 120;

const shownTaskSchema = v.object({
  task: taskSchema,
  events: v.array(taskEventSchema),
  parked: v.optional(parkedReasonSchema),
  stderrTail: v.pipe(
    v.nullable(v.string()),
    v.description(
      "the last 64 KiB of the handler's stderr as its agent reported it (secrets scrubbed), or null",
    ),
  ),
});

/** `expire_after`: a duration such as 30m, 12h or 7d (at least 1s), or "never". */
const expireAfter = v.pipe(
  v.string('must be a duration such as "30m", "12h" or "7d", or "never"'),
  v.check(
    (text) => text === 'never' || (parseDuration(text) ?? 0) >= 1000,
    'must be a duration of at least 1s such as "30m", "12h" or "7d", or "never"',
  ),
  v.description(
    'expire the task (status expired, with the reason) if no capable agent has taken it this long after intake, e.g. "30m"; "never" = wait as long as it takes; default the daemon\'s --expire-after (off unless set)',
  ),
);

function describeTask(task: ApiTask): string {
  const where =
    task.assignedAgentId === null ? '' : ` (agent ${task.assignedAgentId}, attempt ${task.attempt})`;
  return `task ${task.id} "${task.title}" is ${task.status}${where}`;
}

export const submitTask = defineTool({
  name: 'submit_task',
  title: 'Submit a task to the hive',
  description:
    'Hands a task to whichever online agent has ALL the required capability tags (exact match; the best fit wins), ' +
    'or, with skill (see list_skills), to an agent offering that skill (its required tags are added; requires may then ' +
    'be left out, and the payload must match its payloadSchema), ' +
    'or parks it until one appears — parked is never failed. Returns the task, where it went (assignedTo) or why it ' +
    'parked (what each candidate lacks), and warnings for tags no agent has ever advertised, with the nearest ' +
    'spelling. With idempotency_key, submitting again (say, after a lost connection) returns the task the key ' +
    'already made (created=false) instead of a second one. Then call wait_for_task with its id for the result.',
  toolset: 'intake',
  readOnly: false,
  input: v.strictObject({
    title: text(1, 500, 'what to do, in a few words'),
    requires: v.optional(
      tagList(
        'capability tags the agent must have, every one of them (e.g. ["image-render"]); [] = any agent. See list_capabilities. Required unless skill is given',
      ),
    ),
    skill: v.optional(
      text(
        1,
        100,
        'the skill the task asks for (see list_skills): its name, or name@digest to pick one manifest when list_skills reports a conflict',
      ),
    ),
    tenant: tenant(
      "the tenant the task belongs to (its agents or shared lanes serve it); with an agent token: the agent's own tenant, the default",
    ),
    priority: v.optional(integer(-1000, 1000, 'higher runs first among parked tasks; default 0')),
    payload: v.optional(
      v.pipe(
        v.unknown(),
        v.description(
          'JSON for the handler (at most 1 MiB); for agents started by colibri run-agent, {"handler": "<name>", …} picks the handler',
        ),
      ),
    ),
    max_attempts: v.optional(integer(1, 100, "how many assignments before it fails; default the daemon's")),
    idempotency_key: v.optional(
      text(
        1,
        200,
        'your key for this submission (1-200 printable ASCII characters, no spaces), unique within the tenant: the same key again returns the same task, never a second one; the same key with different arguments is refused (COLIBRI_IDEMPOTENCY_CONFLICT)',
      ),
    ),
    expire_after: v.optional(expireAfter),
  }),
  output: v.object({
    created: v.pipe(
      v.boolean(),
      v.description('false when idempotency_key had already made this task: nothing new was submitted'),
    ),
    task: taskSchema,
    assignedTo: v.nullable(v.object({ id: v.string(), name: v.string() })),
    parked: v.nullable(parkedReasonSchema),
    warnings: v.array(v.string()),
  }),
  async run(args, { hive }) {
    // Neither requires nor skill: colibrid refuses it, with its own code and message.
    const response = await hive.intakeTask({
      title: args.title,
      ...(args.requires === undefined
        ? {}
        : { requiredCapabilities: parseCapabilities(args.requires, 'requires') }),
      ...(args.skill === undefined ? {} : { skill: args.skill }),
      ...(args.tenant === undefined ? {} : { tenant: parseTenantName(args.tenant) }),
      ...(args.priority === undefined ? {} : { priority: args.priority }),
      ...(args.payload === undefined ? {} : { payload: args.payload }),
      ...(args.max_attempts === undefined ? {} : { maxAttempts: args.max_attempts }),
      ...(args.idempotency_key === undefined ? {} : { idempotencyKey: args.idempotency_key }),
      ...(args.expire_after === undefined
        ? {}
        : {
            expireAfterSeconds:
              args.expire_after === 'never' ? null : Math.round(parseDuration(args.expire_after)! / 1000),
          }),
    });
    let parked: ParkedReason | null = null;
    if (response.task.status === 'parked') {
      // Why it waits; a second request that a caller without read access to the task may not make.
      parked = (await hive.showTask(response.task.id).catch(() => undefined))?.parked ?? null;
    }
    return {
      created: response.created,
      task: response.task,
      assignedTo: response.assignedTo,
      parked,
      warnings: response.warnings,
    };
  },
  summarize: ({ created, task, assignedTo, parked, warnings }) => {
    const where =
      assignedTo !== null
        ? `assigned to ${assignedTo.name} (${assignedTo.id})`
        : `parked${
            parked === null || parked.candidates.length === 0
              ? ': no eligible agent is online'
              : `: ${parked.candidates.map((c) => `${c.agentName} lacks ${c.missing.join(', ')}`).join('; ')}`
          }`;
    const again = created ? '' : ' (submitted before with this idempotency key; nothing new)';
    return [`task ${task.id} ${where}${again}`, ...warnings.map((w) => `warning: ${w}`)].join('\n');
  },
});

export const waitForTaskTool = defineTool({
  name: 'wait_for_task',
  title: 'Wait for a task to finish',
  description:
    `Waits (at most ${MAX_WAIT_SECONDS} s per call) until the task is done, failed or cancelled and returns it with its ` +
    'result and event log. Sends progress notifications while it waits and stops when you cancel. finished=false ' +
    'means the time ran out and the task goes on: call again (explain_task says why a parked task waits).',
  toolset: 'intake',
  readOnly: true,
  input: v.strictObject({
    task_id: taskId,
    timeout_seconds: v.optional(
      integer(1, MAX_WAIT_SECONDS, `how long to wait, 1-${MAX_WAIT_SECONDS} s; default 60`),
    ),
  }),
  output: v.object({
    finished: v.pipe(v.boolean(), v.description('true when the task is done, failed or cancelled')),
    waitedSeconds: v.number(),
    ...shownTaskSchema.entries,
  }),
  async run(args, { hive, signal, progress }) {
    const timeoutMs = (args.timeout_seconds ?? 60) * 1000;
    const outcome = await waitForTask(hive, args.task_id, {
      timeoutMs,
      signal,
      onProgress: (shown, waitedMs) =>
        progress({
          progress: Math.round(waitedMs / 1000),
          total: timeoutMs / 1000,
          message: describeTask(shown.task),
        }),
    });
    return {
      finished: outcome.finished,
      waitedSeconds: Math.round(outcome.waitedMs / 100) / 10,
      ...outcome.shown,
    };
  },
  summarize: ({ finished, task, waitedSeconds }) =>
    finished
      ? `${describeTask(task)}${task.status === 'done' ? `: ${JSON.stringify(task.result)}` : task.error === null ? '' : `: ${task.error}`}`
      : `${describeTask(task)} after ${waitedSeconds} s; it goes on: call wait_for_task again`,
});

export const getTask = defineTool({
  name: 'get_task',
  title: 'Show a task',
  description: 'A task with its payload, result, event log and, while parked, why it waits.',
  toolset: 'intake',
  readOnly: true,
  input: v.strictObject({ task_id: taskId }),
  output: shownTaskSchema,
  run: async (args, { hive }) => hive.showTask(args.task_id),
  summarize: ({ task }) => describeTask(task),
});

export const listTasks = defineTool({
  name: 'list_tasks',
  title: 'List tasks',
  description:
    'Tasks, newest first, optionally of one status or tenant (an agent token sees its own tenant only).',
  toolset: 'intake',
  readOnly: true,
  input: v.strictObject({
    status: v.optional(
      v.pipe(
        v.picklist(TASK_STATUSES, `must be one of ${TASK_STATUSES.join(', ')}`),
        v.description('only tasks in this status'),
      ),
    ),
    tenant: tenant('only tasks of this tenant'),
    limit: v.optional(integer(1, 10_000, 'at most this many; default 100')),
  }),
  output: v.object({ tasks: v.array(taskSchema) }),
  run: async (args, { hive }) =>
    hive.listTasks({
      ...(args.status === undefined ? {} : { status: args.status }),
      ...(args.tenant === undefined ? {} : { tenant: parseTenantName(args.tenant) }),
      limit: args.limit ?? 100,
    }),
  summarize: ({ tasks }) => `${tasks.length} task(s)`,
});

export const cancelTask = defineTool({
  name: 'cancel_task',
  title: 'Cancel a task',
  description:
    'Cancels a task that has not finished (parked, assigned or running). The operator may cancel any task; an agent only a task it holds, with its attempt.',
  toolset: 'intake',
  readOnly: false,
  destructive: true,
  input: v.strictObject({
    task_id: taskId,
    reason: v.optional(text(1, 1000, 'why, for the event log')),
    attempt: v.optional(attemptField),
  }),
  output: v.object({ task: taskSchema }),
  run: async (args, { hive }) =>
    hive.transitionTask(args.task_id, {
      to: 'cancelled',
      ...(args.reason === undefined ? {} : { reason: args.reason }),
      ...(args.attempt === undefined ? {} : { attempt: args.attempt }),
    }),
  summarize: ({ task }) => describeTask(task),
});

export const intakeTools = [submitTask, waitForTaskTool, getTask, listTasks, cancelTask];
