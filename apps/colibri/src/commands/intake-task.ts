import type { IntakeTaskResponse, ShowTaskResponse } from '@colibri/api';
import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../base-command.js';

export default class IntakeTask extends BaseCommand<typeof IntakeTask> {
  static override summary = 'Submit a task; it is assigned to the best-fitting online agent or parked.';
  static override description =
    'The task goes at once to the online agent that has ALL the required tags (exact match) and the ' +
    'fewest extra ones. With no such agent it is parked, never failed, and assigned the moment a capable ' +
    'agent registers or comes back. A tag no agent has ever advertised still parks, with a warning and ' +
    'the nearest known spelling. Without --tenant the task may only use shared agents. With --wait SECONDS ' +
    'it waits up to SECONDS until the task is done, failed, cancelled or expired and prints it with its result: exit ' +
    '0 when done, non-zero with the reason otherwise (COLIBRI_WAIT_TIMEOUT when the wait runs out; the task ' +
    'goes on). --wait SECONDS means the same as for poll: the longest this command waits. That is how an agent borrows another lane: its handler takes in a ' +
    'sub-task with its own token (COLIBRI_TOKEN) and waits for the answer. With --retries N a failed ' +
    'attempt goes back in line after its backoff (--retry-backoff, doubled each time, at most 1h) until N ' +
    'retries are used; then the task stays failed with every attempt in its event log. With ' +
    '--idempotency-key KEY a repeated intake (a retry after a lost answer, even across a colibrid restart) ' +
    'returns the task the key made, never a second one. With --expire-after DUR a task still parked DUR ' +
    'after intake ends expired, with the reason nobody could take it (colibrid --expire-after sets a ' +
    'default; --expire-after never opts out of it).';
  static override examples = [
    '<%= config.bin %> intake-task --title "render thumbnails" --capabilities image-render',
    '<%= config.bin %> intake-task --title "screenshot the board" --capabilities screenshot --payload \'{"url":"https://example.org"}\'',
    '<%= config.bin %> intake-task --title "nightly build" --capabilities linux,rust --priority 5 --tenant acme --json',
    '<%= config.bin %> intake-task --title "anything will do" --capabilities ""',
    '<%= config.bin %> intake-task --title "thumbnail" --capabilities image-render --payload \'{"handler":"render"}\' --wait 300 --json',
    '<%= config.bin %> intake-task --title "screenshot pane 1" --skill tmux-screenshot --payload \'{"pane":"1"}\' --wait 60',
    '<%= config.bin %> intake-task --title "flaky upload" --capabilities linux --retries 3 --retry-backoff 10s',
    '<%= config.bin %> intake-task --title "invoice 1234" --capabilities linux --idempotency-key invoice-1234 --json',
    '<%= config.bin %> intake-task --title "train" --capabilities gpu --expire-after 30m',
  ];
  static override flags = {
    title: Flags.string({ description: 'what the task is, for people', required: true, helpValue: 'TEXT' }),
    capabilities: Flags.string({
      description:
        'comma-separated tags the agent must ALL have, e.g. linux,image-render ("" = any online agent); required unless --skill is given',
      helpValue: 'TAGS',
    }),
    skill: Flags.string({
      description:
        'a skill to run (colibri list-skills shows them): it goes only to an agent that offers it, its requirements are added to --capabilities, and --payload is checked against its payload schema; NAME@DIGEST picks one manifest when agents disagree',
      helpValue: 'NAME',
    }),
    payload: Flags.string({
      description: 'JSON handed to the agent, e.g. \'{"url":"https://example.org"}\'',
      helpValue: 'JSON',
    }),
    priority: Flags.integer({
      description: 'higher runs first among parked tasks [default: 0]',
      helpValue: 'N',
    }),
    tenant: Flags.string({
      description: "the tenant that owns the task; it may use that tenant's agents and shared ones",
      helpValue: 'TENANT',
    }),
    'max-attempts': Flags.integer({
      description: 'assignments allowed before the task fails (an agent going offline costs one)',
      min: 1,
      helpValue: 'N',
      exclusive: ['retries'],
    }),
    retries: Flags.integer({
      description:
        "retry a failed attempt up to N times (N + 1 attempts), each after its backoff; then it stays failed (the dead letter) [default: colibrid's --task-retries, none]",
      min: 0,
      max: 99,
      helpValue: 'N',
      exclusive: ['max-attempts'],
    }),
    'retry-backoff': Flags.string({
      description:
        "wait this long before the first retry, doubled for each one after (at most 1h), e.g. 10s, 2m [default: colibrid's --task-retry-backoff, 10s]",
      helpValue: 'DURATION',
    }),
    'idempotency-key': Flags.string({
      description:
        'your key for this intake (1-200 printable characters, no spaces), unique within the tenant: running the same command again returns the task it made instead of a second one; the same key with other flags is refused (COLIBRI_IDEMPOTENCY_CONFLICT, exit 4)',
      helpValue: 'KEY',
    }),
    wait: Flags.integer({
      description:
        'wait up to SECONDS until the task is done, failed, cancelled or expired, then print it with its result',
      min: 1,
      helpValue: 'SECONDS',
    }),
    'expire-after': Flags.string({
      description:
        "expire the task (status expired, with the reason) if no capable agent has taken it DUR after intake, e.g. 30m, 12h, 7d; never = wait as long as it takes [default: colibrid's --expire-after, off unless set]",
      helpValue: 'DUR',
    }),
    'wait-timeout': Flags.integer({
      description: 'deprecated: use --wait SECONDS',
      hidden: true,
      min: 1,
      dependsOn: ['wait'],
      helpValue: 'SECONDS',
    }),
  };

  /** The old bare `--wait` (no limit), still accepted for one release. */
  #waitWithoutLimit = false;

  override async init(): Promise<void> {
    const { rewriteLegacyWait } = await import('../legacy-wait-flag.js');
    const rewritten = rewriteLegacyWait(this.argv);
    this.argv = rewritten.argv;
    this.#waitWithoutLimit = rewritten.unlimited;
    await super.init();
    if (rewritten.legacy) {
      this.warn(
        'intake-task --wait without SECONDS and --wait-timeout are deprecated and go away in the next ' +
          'release: use --wait SECONDS (the longest to wait, as for poll)',
      );
    }
  }

  async run(): Promise<IntakeTaskResponse | WaitedTask> {
    const { parseTenantName } = await import('@colibri/protocol');
    const { parseCapabilityList } = await import('../parse-capability-list.js');
    const { parseJsonFlag } = await import('../parse-json-flag.js');
    const { flags } = this;
    if (flags.capabilities === undefined && flags.skill === undefined) {
      const { ColibriError } = await import('@colibri/errors');
      throw new ColibriError(
        'COLIBRI_INVALID_INPUT',
        '--capabilities: required (the tags the agent must have, "" for any), unless --skill names a skill',
        { flag: 'capabilities' },
      );
    }
    const requiredCapabilities =
      flags.capabilities === undefined ? undefined : parseCapabilityList(flags.capabilities);
    const payload = flags.payload === undefined ? undefined : parseJsonFlag('payload', flags.payload);
    const tenant = flags.tenant === undefined ? undefined : parseTenantName(flags.tenant);
    const retryBackoffMs =
      flags['retry-backoff'] === undefined ? undefined : await parseBackoff(flags['retry-backoff']);
    const expireAfterSeconds =
      flags['expire-after'] === undefined
        ? undefined
        : (await import('../parse-duration-flag.js')).parseExpireAfter(flags['expire-after']);
    const client = await this.client();
    const response = await client.intakeTask({
      title: flags.title,
      ...(requiredCapabilities === undefined ? {} : { requiredCapabilities }),
      ...(flags.skill === undefined ? {} : { skill: flags.skill }),
      ...(payload === undefined ? {} : { payload }),
      ...(flags.priority === undefined ? {} : { priority: flags.priority }),
      ...(tenant === undefined ? {} : { tenant }),
      ...(flags['max-attempts'] === undefined ? {} : { maxAttempts: flags['max-attempts'] }),
      ...(flags.retries === undefined ? {} : { retries: flags.retries }),
      ...(retryBackoffMs === undefined ? {} : { retryBackoffMs }),
      ...(flags['idempotency-key'] === undefined ? {} : { idempotencyKey: flags['idempotency-key'] }),
      ...(expireAfterSeconds === undefined ? {} : { expireAfterSeconds }),
    });
    if (flags.wait !== undefined || this.#waitWithoutLimit) return this.#wait(response);
    if (this.jsonEnabled()) return response;

    for (const warning of response.warnings) this.warnLine(warning);
    const { task, assignedTo } = response;
    if (!response.created) {
      this.log(
        `task ${task.id} was already taken in with this idempotency key (nothing new): it is ${task.status}`,
      );
    } else if (assignedTo !== null) {
      this.log(`task ${task.id} assigned to ${assignedTo.name} (${assignedTo.id})`);
    } else if (task.status === 'parked') {
      this.log(`task ${task.id} parked: ${await this.#whyParked(task.id)}`);
    } else {
      this.log(`task ${task.id} is ${task.status}`);
    }
    return response;
  }

  /**
   * Waits for the task's end and prints it. A task that did not end done exits non-zero
   * (`COLIBRI_TASK_FAILED`) with its error; with --json the task is printed first either way, so a
   * calling handler still sees the result and the event log.
   */
  async #wait(response: IntakeTaskResponse): Promise<WaitedTask> {
    const [{ waitForTask }, { ColibriError }, { exitCodeFor }] = await Promise.all([
      import('../wait-for-task.js'),
      import('@colibri/errors'),
      import('../exit-codes.js'),
    ]);
    for (const warning of response.warnings) this.warnLine(warning);
    const timeout = this.flags.wait;
    const shown = await waitForTask(await this.client(), response.task.id, {
      timeoutMs: timeout === undefined ? undefined : timeout * 1000,
    });
    const waited: WaitedTask = { ...shown, warnings: response.warnings };
    const { task } = shown;
    const failure =
      task.status === 'done'
        ? undefined
        : new ColibriError(
            'COLIBRI_TASK_FAILED',
            `task ${task.id} ${task.status === 'cancelled' ? 'was cancelled' : task.status === 'expired' ? 'expired' : 'failed'}: ${
              task.error ?? shown.events.at(-1)?.reason ?? 'no reason given'
            }`,
            { taskId: task.id, status: task.status },
          );
    if (this.jsonEnabled()) {
      if (failure === undefined) return waited;
      this.logJson(waited);
      return this.exit(exitCodeFor(failure.code));
    }
    if (failure !== undefined) throw failure;
    const { formatJsonValue } = await import('../format/format-table.js');
    this.log(`task ${task.id} done`);
    this.log(formatJsonValue(task.result));
    return waited;
  }

  /** One clause on why the task waits; a second request, so only in human mode and never fatal. */
  async #whyParked(taskId: string): Promise<string> {
    const later = `it is assigned as soon as a capable agent appears (colibri show-task ${taskId} explains)`;
    try {
      const { parked } = await (await this.client()).showTask(taskId);
      if (parked === undefined) return later;
      const { briefParkedReason } = await import('../format/format-parked-reason.js');
      return `${briefParkedReason(parked)}; ${later}`;
    } catch {
      return later;
    }
  }
}

/** `--retry-backoff 10s` in ms, in the one duration grammar; at most an hour. */
async function parseBackoff(text: string): Promise<number> {
  const [{ parseDuration }, { ColibriError }, { MAX_RETRY_BACKOFF_MS }] = await Promise.all([
    import('@colibri/protocol'),
    import('@colibri/errors'),
    import('@colibri/api'),
  ]);
  const ms = parseDuration(text);
  if (ms === undefined || ms > MAX_RETRY_BACKOFF_MS) {
    throw new ColibriError(
      'COLIBRI_INVALID_INPUT',
      `--retry-backoff ${JSON.stringify(text)}: ${ms === undefined ? 'not a duration (use e.g. 500ms, 10s, 2m)' : 'at most 1h'}`,
      { flag: 'retry-backoff' },
    );
  }
  return ms;
}

/** `intake-task --wait --json`: the finished task, its event log, and the intake's warnings. */
export interface WaitedTask extends ShowTaskResponse {
  readonly warnings: readonly string[];
}
