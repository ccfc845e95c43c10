import { ColibriError } from '@colibri/errors';
import * as v from 'valibot';
import { defineTool, type ToolContext } from '../define-tool.js';
import { agentId, attempt, integer, taskId, text } from '../field-schemas.js';
import { agentSchema, taskSchema } from '../output-schemas.js';

/** The longest `claim_next` holds a call, in seconds. */
export const MAX_CLAIM_WAIT_SECONDS = 120;
/** One long poll of the daemon (it allows 60 s); shorter, so progress flows between polls. */
const POLL_WINDOW_SECONDS = 15;

function whichAgent(tool: string, given: string | undefined, context: ToolContext): string {
  const id = given ?? context.agentId;
  if (id === undefined) {
    throw new ColibriError(
      'COLIBRI_INVALID_INPUT',
      `${tool}: agent_id is required: this server does not know which agent its token belongs to (colibri mcp --agent ID sets it)`,
      { fields: ['agent_id'] },
    );
  }
  return id;
}

export const claimNext = defineTool({
  name: 'claim_next',
  title: 'Claim the next task (worker)',
  description:
    `Long-polls (at most ${MAX_CLAIM_WAIT_SECONDS} s) for the next task assigned to this agent and returns it with its ` +
    'attempt: pass that attempt to report_running, complete_task and fail_task. task=null means nothing came in time. ' +
    'Counts as a heartbeat. Sends progress notifications while it waits and stops when you cancel.',
  toolset: 'worker',
  readOnly: false,
  input: v.strictObject({
    agent_id: agentId,
    wait_seconds: v.optional(
      integer(
        0,
        MAX_CLAIM_WAIT_SECONDS,
        `how long to wait for a task, 0-${MAX_CLAIM_WAIT_SECONDS} s; default 30`,
      ),
    ),
  }),
  output: v.object({
    task: v.nullable(taskSchema),
    attempt: v.pipe(
      v.nullable(v.number()),
      v.description('the fencing token to present when moving the task'),
    ),
    running: v.pipe(v.array(taskSchema), v.description('tasks this agent already reported running')),
  }),
  async run(args, context) {
    const agent = whichAgent('claim_next', args.agent_id, context);
    const waitSeconds = args.wait_seconds ?? 30;
    const started = Date.now();
    for (;;) {
      context.signal.throwIfAborted();
      const left = Math.max(0, waitSeconds - (Date.now() - started) / 1000);
      const { tasks } = await context.hive.poll(agent, {
        waitSeconds: Math.min(POLL_WINDOW_SECONDS, Math.floor(left)),
        signal: context.signal,
      });
      const next = tasks.find((task) => task.status === 'assigned');
      const running = tasks.filter((task) => task.status === 'running');
      if (next !== undefined || left < 1) {
        return { task: next ?? null, attempt: next?.attempt ?? null, running };
      }
      await context.progress({
        progress: Math.round((Date.now() - started) / 1000),
        total: waitSeconds,
        message: `agent ${agent}: no task yet`,
      });
    }
  },
  summarize: ({ task, attempt }) =>
    task === null
      ? 'no task came in time: call claim_next again'
      : `claimed task ${task.id} "${task.title}" (attempt ${attempt}); needs ${task.requiredCapabilities.join(', ') || 'nothing'}`,
});

const moveResult = v.object({ task: taskSchema });

export const reportRunning = defineTool({
  name: 'report_running',
  title: 'Report a task running (worker)',
  description:
    'Marks a claimed task as running. A stale attempt (the lease was taken away) is refused: drop the work.',
  toolset: 'worker',
  readOnly: false,
  input: v.strictObject({ task_id: taskId, attempt }),
  output: moveResult,
  run: async (args, { hive }) => hive.transitionTask(args.task_id, { to: 'running', attempt: args.attempt }),
  summarize: ({ task }) => `task ${task.id} is ${task.status} (attempt ${task.attempt})`,
});

export const completeTask = defineTool({
  name: 'complete_task',
  title: 'Complete a task (worker)',
  description:
    'Finishes a claimed task as done with its result (JSON, at most 1 MiB). A stale attempt is refused: another agent has it now.',
  toolset: 'worker',
  readOnly: false,
  input: v.strictObject({
    task_id: taskId,
    attempt,
    result: v.optional(v.pipe(v.unknown(), v.description('the result, any JSON'))),
  }),
  output: moveResult,
  run: async (args, { hive }) =>
    hive.transitionTask(args.task_id, {
      to: 'done',
      attempt: args.attempt,
      ...(args.result === undefined ? {} : { result: args.result }),
    }),
  summarize: ({ task }) => `task ${task.id} is ${task.status}`,
});

export const failTask = defineTool({
  name: 'fail_task',
  title: 'Fail a task (worker)',
  description: 'Ends a claimed task as failed, with the reason. A stale attempt is refused.',
  toolset: 'worker',
  readOnly: false,
  destructive: true,
  input: v.strictObject({ task_id: taskId, attempt, error: text(1, 10_000, 'what went wrong') }),
  output: moveResult,
  run: async (args, { hive }) =>
    hive.transitionTask(args.task_id, { to: 'failed', attempt: args.attempt, error: args.error }),
  summarize: ({ task }) => `task ${task.id} is ${task.status}: ${task.error ?? ''}`,
});

export const heartbeat = defineTool({
  name: 'heartbeat',
  title: 'Heartbeat (worker)',
  description:
    "Tells the daemon this agent is alive and renews its tasks' leases (claim_next counts as one). Silent past its TTL, an agent goes offline and its tasks are handed to others.",
  toolset: 'worker',
  readOnly: false,
  input: v.strictObject({ agent_id: agentId }),
  output: v.object({ agent: agentSchema }),
  run: async (args, context) => context.hive.heartbeat(whichAgent('heartbeat', args.agent_id, context)),
  summarize: ({ agent }) => `agent ${agent.name} is ${agent.status}`,
});

export const workerTools = [claimNext, reportRunning, completeTask, failTask, heartbeat];
