import { homedir, hostname } from 'node:os';
import { ColibriError } from '@colibri/errors';
import {
  type AgentEvent,
  combineCapabilities,
  explainCapabilities,
  fileTokenStore,
  loadAgentSecrets,
  resolveIdentity,
  runAgent,
} from '@colibri/mother';
import { chooseAgentCredential } from './choose-agent-credential.js';
import { formatAgentEvent } from './format/format-agent-event.js';
import { terminalSafe, terminalSafeJson } from './format/terminal-safe.js';
import { type IdentityFlagValues, identityOptionsFrom } from './identity-options.js';
import type { CliConfig } from './resolve-config.js';
import { onStopSignals } from './stop-signals.js';

/** `colibri run-agent`'s own flags, parsed (defaults applied), plus the identity flags. */
export interface RunAgentFlagValues extends IdentityFlagValues {
  readonly 'join-token-env': string;
  readonly agent?: string | undefined;
  readonly 'state-dir'?: string | undefined;
  readonly 'drain-timeout': number;
  readonly 'handler-timeout': number;
}

/** What the caller resolved: the CLI configuration and whether `--json` is on. */
export interface RunAgentContext {
  readonly config: CliConfig;
  readonly json: boolean;
}

/**
 * The body of `colibri run-agent`, shared by the oclif command and the light entry
 * (run-agent-main.ts, what a jail starts): identity, `.env`, credential, probe, then the mother
 * runtime until it is stopped. Errors are thrown for the caller's one `catch()`.
 */
export async function runAgentCommand(flags: RunAgentFlagValues, context: RunAgentContext): Promise<void> {
  const { config, json } = context;
  const options = identityOptionsFrom(flags, {
    env: process.env,
    cwd: process.cwd(),
    homedir: homedir(),
    colibriHome: config.home,
  });
  const { identity } = await resolveIdentity({
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
      : await loadAgentSecrets({ envFile: identity.envFile, expectedUid: uid });
  const { credential, variables } = chooseAgentCredential({
    variables: secrets.present ? secrets.variables : {},
    joinTokenEnv: flags['join-token-env'],
    token: config.token,
    agentId: flags.agent,
  });

  const probe = await explainCapabilities({ platform: process.platform, env: process.env, root: '/' });
  const { capabilities, refused } = combineCapabilities({
    declared: identity.capabilities,
    force: identity.forceCapabilities,
    probed: probe.tags,
    absent: probe.absent,
  });
  if (refused.length > 0) {
    throw new ColibriError(
      'COLIBRI_CAPABILITY_NOT_CONFIRMED',
      `refusing to start: ${refused.map((r) => r.reason).join('; ')}`,
      { tags: refused.map((r) => r.tag) },
    );
  }

  const print = (event: AgentEvent | { type: 'starting'; [key: string]: unknown }) => {
    const at = new Date().toISOString();
    process.stdout.write(
      json
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

  const run = runAgent({
    name: identity.name,
    tenant: identity.tenant,
    capabilities,
    host: hostname(),
    daemon: identity.daemon,
    ...(credential === undefined ? {} : { credential }),
    tokenStore: fileTokenStore(identity.stateDir, { uid }),
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

function startingLine(event: { [key: string]: unknown }): string {
  const tags = (event.capabilities as string[]).join(', ') || 'no tags';
  const secrets = event.secrets === null ? 'no .env' : `${String(event.secrets)} variable(s) from the .env`;
  return (
    `starting ${String(event.name)} (${event.tenant === null ? 'shared' : `tenant ${String(event.tenant)}`}): ` +
    `${tags}; daemon ${String(event.daemon)}; handlers ${String(event.handlersDir)}; ` +
    `${String(event.slots)} slot(s); ${secrets}`
  );
}
