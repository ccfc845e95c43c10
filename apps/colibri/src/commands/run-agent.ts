import type { AgentEvent } from '@colibri/mother';
import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../base-command.js';
import { terminalSafe, terminalSafeJson } from '../format/terminal-safe.js';
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
    const [
      mother,
      { identityOptionsFrom },
      { chooseAgentCredential },
      { formatAgentEvent },
      { onStopSignals },
      os,
    ] = await Promise.all([
      import('@colibri/mother'),
      import('../identity-flags.js'),
      import('../choose-agent-credential.js'),
      import('../format/format-agent-event.js'),
      import('../stop-signals.js'),
      import('node:os'),
    ]);
    const { flags } = this;
    const config = await this.cliConfig();
    const options = identityOptionsFrom(flags, {
      env: process.env,
      cwd: process.cwd(),
      homedir: os.homedir(),
      colibriHome: config.home,
    });
    const { identity } = await mother.resolveIdentity({
      ...options,
      flags: {
        ...options.flags,
        ...(flags['state-dir'] === undefined ? {} : { stateDir: flags['state-dir'] }),
      },
    });

    const uid = process.geteuid?.() ?? -1;
    const secrets =
      identity.envFile === null
        ? { present: false as const }
        : await mother.loadAgentSecrets({ envFile: identity.envFile, expectedUid: uid });
    const { credential, variables } = chooseAgentCredential({
      variables: secrets.present ? secrets.variables : {},
      joinTokenEnv: flags['join-token-env'],
      token: config.token,
      agentId: flags.agent,
    });

    const probe = await mother.explainCapabilities({
      platform: process.platform,
      env: process.env,
      root: '/',
    });
    const { capabilities, refused } = mother.combineCapabilities({
      declared: identity.capabilities,
      force: identity.forceCapabilities,
      probed: probe.tags,
      absent: probe.absent,
    });
    if (refused.length > 0) {
      const { ColibriError } = await import('@colibri/errors');
      throw new ColibriError(
        'COLIBRI_CAPABILITY_NOT_CONFIRMED',
        `refusing to start: ${refused.map((r) => r.reason).join('; ')}`,
        { tags: refused.map((r) => r.tag) },
      );
    }

    const print = (event: AgentEvent | { type: 'starting'; [key: string]: unknown }) => {
      const at = new Date().toISOString();
      process.stdout.write(
        this.jsonEnabled()
          ? `${terminalSafeJson({ at, ...event })}\n`
          : `${terminalSafe(`${at} ${event.type === 'starting' ? startingLine(event) : formatAgentEvent(event as AgentEvent)}`)}\n`,
      );
    };
    print({
      type: 'starting',
      name: identity.name,
      tenant: identity.tenant,
      capabilities,
      daemon: 'socketPath' in identity.daemon ? identity.daemon.socketPath : identity.daemon.url,
      handlersDir: identity.handlersDir,
      stateDir: identity.stateDir,
      slots: identity.slots,
      secrets: secrets.present ? Object.keys(variables).length : null,
    });

    const run = mother.runAgent({
      name: identity.name,
      tenant: identity.tenant,
      capabilities,
      host: os.hostname(),
      daemon: identity.daemon,
      ...(credential === undefined ? {} : { credential }),
      tokenStore: mother.fileTokenStore(identity.stateDir, { uid }),
      handlersDir: identity.handlersDir,
      environment: { inherited: process.env, variables },
      slots: identity.slots,
      heartbeatMs: identity.heartbeatSeconds * 1000,
      handlerTimeoutMs: flags['handler-timeout'] * 1000,
      drainTimeoutMs: flags['drain-timeout'] * 1000,
      onEvent: print,
    });
    // The first signal drains, a second cuts the drain short.
    const unsubscribe = onStopSignals((signal, count) => void run.stop(signal, { now: count > 1 }));
    try {
      await run.done;
    } finally {
      unsubscribe();
    }
  }
}

function startingLine(event: { [key: string]: unknown }): string {
  const tags = (event.capabilities as string[]).join(', ') || 'no tags';
  const secrets = event.secrets === null ? 'no .env' : `${String(event.secrets)} variable(s) from the .env`;
  return (
    `starting ${String(event.name)} (${event.tenant === null ? 'shared' : `tenant ${String(event.tenant)}`}): ` +
    `${tags}; daemon ${String(event.daemon)}; handlers ${String(event.handlersDir)}; ` +
    `${String(event.slots)} slot(s); ${secrets}`
  );
}
