import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../base-command.js';
import { identityFlags } from '../identity-flags.js';

export default class RunAgent extends BaseCommand<typeof RunAgent> {
  static override summary =
    'Run this agent: register, heartbeat, take tasks and run their handlers until stopped.';
  static override description =
    'The mother skill: resolve the identity (identity files < flags), verify and load the .env (never ' +
    'fetched here: a jail only holds its own), probe the host and combine with the declared tags, then ' +
    'register — with the agent token kept in the state directory from an earlier start, else the one-time ' +
    "join token from the .env, else the token given (the operator's, or an agent's with --agent) — and " +
    "work: heartbeat, long-poll, run each task's handler (<handlers>/<payload.handler>, the payload on stdin, " +
    'stdout the result) and report running, then done or failed. It rides out daemon restarts and dropped ' +
    'bridges. SIGTERM or SIGINT drains: no new tasks, running handlers may finish (--drain-timeout), the rest ' +
    'are killed and handed back, the agent goes offline, exit 0; a second signal cuts the drain short. One ' +
    'event per line on stdout (JSON objects with --json).';
  static override examples = [
    '<%= config.bin %> run-agent --identity-dir /usr/local/etc/colibri/identity',
    'COLIBRI_TOKEN=$(cat /var/lib/colibri/operator.token) <%= config.bin %> run-agent --name media-1 --capabilities linux,media --handlers ./handlers --json',
  ];
  static override flags = {
    ...identityFlags,
    'join-token-env': Flags.string({
      description: 'the .env variable holding the one-time join token',
      default: 'COLIBRI_JOIN_TOKEN',
      helpValue: 'NAME',
    }),
    agent: Flags.string({
      description: 'resume this agent with its agent token (COLIBRI_TOKEN / --token) instead of registering',
      aliases: ['agent-id'],
      deprecateAliases: true,
      helpValue: 'ID',
    }),
    'state-dir': Flags.string({
      description: "where the agent keeps its own agent token (0700) [default: the identity's stateDir]",
      helpValue: 'DIR',
    }),
    'drain-timeout': Flags.integer({
      description:
        'on SIGTERM: seconds running handlers may take to finish before they are killed and handed back',
      default: 30,
      min: 0,
      helpValue: 'SECONDS',
    }),
    'handler-timeout': Flags.integer({
      description:
        "the longest a handler may run, in seconds (a task's timeoutSeconds may only ask for less)",
      default: 60,
      min: 1,
      helpValue: 'SECONDS',
    }),
  };

  async run(): Promise<void> {
    // The same body the light entry (run-agent-main.ts) runs in a jail, without oclif.
    const { runAgentCommand } = await import('../run-agent-core.js');
    await runAgentCommand(this.flags, { config: await this.cliConfig(), json: this.jsonEnabled() });
  }
}
