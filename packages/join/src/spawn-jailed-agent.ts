import { ColibriError, isColibriError } from '@colibri/errors';
import { parseAgentName, parseJailName, parseTenantName } from '@colibri/protocol';
import type { AgentLaunch, JailInfo, JailStatus, LaunchSettings, PreflightReport } from '@colibri/spawner';
import { assessSpawn, type SpawnAssessment } from './assess-spawn.js';
import type { HiveAgent, HiveTenant } from './hive-port.js';
import { removeEnvFile } from './remove-env-file.js';
import type {
  RollbackAction,
  SpawnFailureDetails,
  SpawnJailedAgentOptions,
  SpawnReport,
  SpawnStep,
} from './spawn-report.js';
import { StepFailure, StepRecorder } from './step-recorder.js';
import { waitForRegistration } from './wait-for-registration.js';

/** Default lifetime of the one-time join token in `.env`. */
export const DEFAULT_JOIN_TOKEN_TTL_SECONDS = 600;
/** Default wait for the agent to register. */
export const DEFAULT_REGISTRATION_TIMEOUT_MS = 60_000;
/** The `.env` variable carrying the join token (what `run-agent --join-token-env` reads by default). */
export const JOIN_TOKEN_VARIABLE = 'COLIBRI_JOIN_TOKEN';
/** The daemon's tenant event log takes reasons up to this length. */
const MAX_REASON = 1000;

/**
 * Joins the hive: preflight → create the jail → bootstrap the runtime → provision `.env` (a
 * one-time join token added) → start `run-agent` inside → wait until it registered → tenant
 * `active`, one progress event per step start and finish.
 *
 * Idempotent: a healthy agent (our jail, the runtime at this version, the agent running,
 * registered and online, the tenant active) is left alone (`already-healthy`, every step
 * `skipped` with why); a broken one is repaired (`repaired`): satisfied steps are skipped, the
 * runtime re-bootstrapped if needed, `.env` provisioned again (with a join token only when the
 * agent is not registered; otherwise its own agent token, kept in the jail, still works), the
 * agent (re)started, waited for, the tenant activated.
 *
 * Refusals before anything is touched (failed at `preflight`, nothing rolled back): an invalid
 * name (`COLIBRI_INVALID_NAME`), an unknown tenant, a jail colibri did not create or that holds
 * another agent (`COLIBRI_JAIL_EXISTS`), the name taken (`COLIBRI_AGENT_NAME_TAKEN`), a failed
 * preflight listing every failed check (`COLIBRI_PREFLIGHT_FAILED`).
 *
 * Fail-closed: any later failure undoes what THIS run did, in this order, each as a
 * {@link RollbackAction} (and a progress event): stop the agent it started; retire an agent that
 * registered during the run; revoke the join token it created; remove the `.env` it wrote (also
 * when it created the jail: the file goes first, so a jail that fails to be destroyed holds no
 * secrets); destroy the jail it created; and tenant → `failed` with the reason whenever the run got
 * past preflight (an attempted spawn that failed; the one exception is losing the jail name to a
 * concurrent spawn at create-jail, which changed nothing). A rollback action that fails is
 * reported `failed` with why, and the others still run. The error thrown keeps the failing step's
 * own code, says `spawn of <agent> failed at <step>: <cause>; rolled back: <actions>` and carries
 * {@link SpawnFailureDetails}.
 */
export async function spawnJailedAgent(options: SpawnJailedAgentOptions): Promise<SpawnReport> {
  return new SpawnRun(options).run();
}

/** What this run changed, so a rollback undoes exactly that. */
interface RunChanges {
  createdJail: boolean;
  joinToken: string | undefined;
  envPath: string | undefined;
  startAttempted: boolean;
  /** The settings of the agent this run stopped to reconfigure it (restored on failure). */
  reconfiguredFrom: LaunchSettings | undefined;
  /** Whether the run got past preflight into a step that may change something. */
  attempted: boolean;
}

class SpawnRun {
  readonly #options: SpawnJailedAgentOptions;
  readonly #secrets: string[] = [];
  readonly #recorder: StepRecorder<SpawnStep>;
  readonly #changes: RunChanges = {
    createdJail: false,
    joinToken: undefined,
    envPath: undefined,
    startAttempted: false,
    reconfiguredFrom: undefined,
    attempted: false,
  };
  #agentName: string;
  #tenantName: string;
  #jail = '';
  #tenant: HiveTenant | undefined;
  #before: HiveAgent | undefined;
  #info: JailInfo | undefined;
  #tenantSecrets: number | 'none' | null = null;

  constructor(options: SpawnJailedAgentOptions) {
    this.#options = options;
    this.#recorder = new StepRecorder<SpawnStep>(options.onProgress, (text) => this.#scrub(text));
    this.#agentName = String(options.request?.agentName);
    this.#tenantName = String(options.request?.tenant);
  }

  async run(): Promise<SpawnReport> {
    try {
      return await this.#chain();
    } catch (error) {
      throw await this.#fail(error);
    }
  }

  async #chain(): Promise<SpawnReport> {
    const { driver, runtime } = this.#options;
    let assessment: SpawnAssessment | undefined;
    await this.#recorder.run('preflight', async () => {
      assessment = await this.#look();
      if (assessment.kind === 'healthy') {
        return { skipped: `agent ${this.#agentName} is running and registered: nothing to check` };
      }
      const report = await driver.preflight();
      if (!report.ok) throw preflightError(driver.kind, report);
      return `${driver.kind}: ${report.checks.length} checks passed${describeFacts(report)}`;
    });
    const found = assessment as SpawnAssessment;
    if (found.kind === 'healthy') return this.#healthy(found.info, found.agent);
    this.#changes.attempted = true;

    const repair = found.kind === 'repair' ? found : undefined;
    let agentRunning = repair?.agentRunning ?? false;
    const registered = repair?.registered;
    const agentOnline = registered !== undefined && registered.status !== 'offline';

    if (repair !== undefined) {
      this.#info = repair.info;
      this.#recorder.skip(
        'create-jail',
        `jail ${this.#jail} exists (uid ${repair.info.owner.uid}); repairing: ${repair.problems.join(', ')}`,
      );
    } else {
      await this.#recorder.run('create-jail', async () => {
        try {
          this.#info = await driver.create({
            name: this.#jail,
            agentName: this.#agentName,
            tenant: this.#tenantName,
          });
        } catch (error) {
          // Lost the name to a concurrent spawn between the look and the create: nothing of ours changed.
          if (isColibriError(error, 'COLIBRI_JAIL_EXISTS')) this.#changes.attempted = false;
          throw error;
        }
        this.#changes.createdJail = true;
        return `jail ${this.#jail} created (uid ${this.#info.owner.uid}, home ${this.#info.home})`;
      });
    }

    const reconfigure = repair?.reconfigure ?? [];
    if (this.#jailInfo().runtimeVersion === runtime.version && repair?.runtimeChanged !== true) {
      this.#recorder.skip('bootstrap', `runtime ${runtime.version} in place`);
    } else {
      await this.#recorder.run('bootstrap', async () => {
        const previous = this.#jailInfo().runtimeVersion;
        let stopped = '';
        if (agentRunning) {
          // The running agent uses the old runtime: it goes first.
          await driver.stopAgent(this.#jail);
          agentRunning = false;
          if (reconfigure.length > 0) this.#changes.reconfiguredFrom = repair?.launched;
          stopped = '; the agent running the old runtime was stopped';
        }
        this.#info = await driver.bootstrap(this.#jail, runtime);
        return `runtime ${runtime.version} bootstrapped${previous === null ? '' : ` (was ${previous})`}${stopped}`;
      });
    }

    await this.#recorder.run('provision', () => this.#provision(registered === undefined));

    if (reconfigure.length === 0) {
      this.#recorder.skip(
        'reconfigure',
        repair === undefined ? 'a new agent: it starts with the requested settings' : 'settings as requested',
      );
    } else {
      await this.#recorder.run('reconfigure', async () => {
        const what = reconfigure.join('; ');
        if (!agentRunning) return `${what}: the agent starts with them`;
        await driver.stopAgent(this.#jail);
        agentRunning = false;
        this.#changes.reconfiguredFrom = repair?.launched;
        // Heard from since the stop = the restarted agent, not a late heartbeat of the old one.
        this.#before = (await this.#options.hive.findAgent(this.#agentName)) ?? this.#before;
        return `${what}: the agent was stopped to start again with them`;
      });
    }

    // Running, registered and online: only the tenant status was off; the agent is left running.
    const keepRunning = agentRunning && agentOnline;
    if (keepRunning) {
      this.#recorder.skip('start-agent', `agent ${this.#agentName} is running`);
    } else {
      await this.#recorder.run('start-agent', async () => {
        let restarted = '';
        if (agentRunning) {
          await driver.stopAgent(this.#jail);
          restarted = ` (restarted: it ran but was ${registered === undefined ? 'not registered' : 'offline'})`;
        }
        this.#changes.startAttempted = true;
        const started = await driver.startAgent(this.#jail, this.#launch());
        return `run-agent ${started} in jail ${this.#jail} as uid ${this.#jailInfo().owner.uid}${restarted}`;
      });
    }

    let agent: HiveAgent;
    if (keepRunning && registered !== undefined) {
      agent = registered;
      this.#recorder.skip('wait-registered', `agent registered (id ${registered.id}, ${registered.status})`);
    } else {
      let waited: HiveAgent | undefined;
      await this.#recorder.run('wait-registered', async () => {
        waited = await waitForRegistration({
          hive: this.#options.hive,
          driver,
          jail: this.#jail,
          agentName: this.#agentName,
          tenant: this.#tenantName,
          before: this.#before,
          timeoutMs: this.#options.registrationTimeoutMs ?? DEFAULT_REGISTRATION_TIMEOUT_MS,
          secrets: this.#secrets,
        });
        return `agent ${this.#agentName} registered (id ${waited.id}, ${waited.status})`;
      });
      agent = waited as HiveAgent;
    }

    await this.#recorder.run('activate-tenant', async () => {
      await this.#options.hive.setTenantStatus(
        this.#tenantName,
        'active',
        `agent ${this.#agentName} registered (id ${agent.id})`,
      );
      return `tenant ${this.#tenantName} active`;
    });

    return this.#report(this.#changes.createdJail ? 'spawned' : 'repaired', agent.id);
  }

  /** Names, then what exists: the tenant, the agent of that name, the jail. */
  async #look(): Promise<SpawnAssessment> {
    const { hive, request, runtime } = this.#options;
    this.#agentName = parseAgentName(request.agentName);
    this.#tenantName = parseTenantName(request.tenant);
    let tenant: HiveTenant;
    try {
      tenant = await hive.getTenant(this.#tenantName);
    } catch (error) {
      if (isColibriError(error, 'COLIBRI_TENANT_NOT_FOUND')) {
        throw new ColibriError(
          'COLIBRI_TENANT_NOT_FOUND',
          `no tenant ${this.#tenantName}: colibri register-tenant ${this.#tenantName} first`,
          { tenant: this.#tenantName },
          { cause: error },
        );
      }
      throw error;
    }
    this.#tenant = tenant;
    this.#jail = parseJailName(tenant.jail);
    const [agent, jail]: [HiveAgent | undefined, JailStatus] = await Promise.all([
      hive.findAgent(this.#agentName),
      this.#inspect(),
    ]);
    this.#before = agent;
    const assessment = assessSpawn({
      agentName: this.#agentName,
      tenant,
      agent,
      jail,
      runtimeVersion: runtime.version,
      wanted: this.#options.driver.launchSettings(this.#launch(), runtime),
    });
    if (assessment.kind !== 'fresh') this.#info = assessment.info;
    return assessment;
  }

  /**
   * The jail as the driver sees it. A host that cannot even be inspected (e.g. a jail root that is a
   * symbolic link) gets the full preflight, so the operator sees every failed check at once rather
   * than the first one inspect tripped over.
   */
  async #inspect(): Promise<JailStatus> {
    const { driver } = this.#options;
    try {
      return await driver.inspect(this.#jail);
    } catch (error) {
      const report = await driver.preflight().catch(() => undefined);
      if (report !== undefined && !report.ok) throw preflightError(driver.kind, report);
      throw error;
    }
  }

  async #provision(withToken: boolean): Promise<string> {
    const { hive, provision } = this.#options;
    const info = this.#jailInfo();
    let extraVariables: Record<string, string> = {};
    if (withToken) {
      const { token } = await hive.createJoinToken(
        this.#tenantName,
        this.#options.joinTokenTtlSeconds ?? DEFAULT_JOIN_TOKEN_TTL_SECONDS,
      );
      this.#secrets.push(token);
      this.#changes.joinToken = token;
      extraVariables = { [JOIN_TOKEN_VARIABLE]: token };
    }
    const outcome = await provision({
      tenant: this.#tenant as HiveTenant,
      jailHome: info.home,
      allowedRoot: info.allowedRoot,
      owner: info.owner,
      extraVariables,
    });
    if (outcome.outcome === 'written') this.#changes.envPath = outcome.path;
    await hive.setTenantStatus(
      this.#tenantName,
      'provisioned',
      `.env for agent ${this.#agentName} ${outcome.outcome === 'no-bucket' ? 'not needed (no bucket)' : outcome.outcome}`,
    );
    this.#tenantSecrets = outcome.tenantSecrets ?? null;
    if (outcome.outcome === 'no-bucket') return `no .env: tenant ${this.#tenantName} has no bucket`;
    if (outcome.tenantSecrets === 'none') {
      return (
        `no secrets for tenant ${this.#tenantName}: the agent starts with only ${withToken ? 'its join token' : 'its own agent token'}` +
        ` (.env ${outcome.outcome}: ${outcome.variables} variable(s), ${outcome.path})`
      );
    }
    return (
      `.env ${outcome.outcome}: ${outcome.variables} variable(s)${withToken ? ', join token included' : ''}, ` +
      `${outcome.path}`
    );
  }

  #launch(): AgentLaunch {
    const { request, daemon } = this.#options;
    return {
      agentName: this.#agentName,
      tenant: this.#tenantName,
      capabilities: request.capabilities === null ? null : [...request.capabilities],
      daemon,
      ...(request.handlersDir === undefined ? {} : { handlersDir: request.handlersDir }),
      ...(request.network === undefined ? {} : { network: request.network }),
    };
  }

  /** The launch that restores `settings` (a failed reconfiguration's rollback). */
  #launchWith(settings: LaunchSettings): AgentLaunch {
    return {
      agentName: this.#agentName,
      tenant: this.#tenantName,
      capabilities: settings.capabilities === null ? null : [...settings.capabilities],
      daemon: this.#options.daemon,
      ...(settings.handlersDir === null ? {} : { handlersDir: settings.handlersDir }),
      ...(settings.network === 'none' || settings.network === 'host' ? { network: settings.network } : {}),
    };
  }

  #healthy(info: JailInfo, agent: HiveAgent): SpawnReport {
    const { runtime } = this.#options;
    this.#recorder.skip('create-jail', `jail ${this.#jail} exists (uid ${info.owner.uid})`);
    this.#recorder.skip('bootstrap', `runtime ${runtime.version} in place`);
    this.#recorder.skip('provision', '.env left as it is: the agent is registered and running');
    this.#recorder.skip('reconfigure', 'the agent runs with the requested settings');
    this.#recorder.skip('start-agent', `agent ${this.#agentName} is running`);
    this.#recorder.skip('wait-registered', `agent registered (id ${agent.id}, ${agent.status})`);
    this.#recorder.skip('activate-tenant', `tenant ${this.#tenantName} is active`);
    return this.#report('already-healthy', agent.id);
  }

  #report(outcome: SpawnReport['outcome'], agentId: string): SpawnReport {
    return Object.freeze({
      agentName: this.#agentName,
      tenant: this.#tenantName,
      jail: this.#jail,
      driver: this.#options.driver.kind,
      outcome,
      agentId,
      steps: this.#recorder.steps,
      tenantSecrets: this.#tenantSecrets,
    });
  }

  #jailInfo(): JailInfo {
    if (this.#info === undefined) throw new ColibriError('COLIBRI_INTERNAL', 'the jail is not known yet', {});
    return this.#info;
  }

  #scrub(text: string): string {
    let out = text;
    for (const secret of this.#secrets) out = out.split(secret).join('[redacted]');
    return out;
  }

  /** Rolls back and builds the error to throw. */
  async #fail(thrown: unknown): Promise<ColibriError> {
    const step: SpawnStep = thrown instanceof StepFailure ? (thrown.step as SpawnStep) : 'preflight';
    const error = thrown instanceof StepFailure ? thrown.error : thrown;
    const cause = isColibriError(error)
      ? error
      : new ColibriError(
          'COLIBRI_SPAWN_FAILED',
          error instanceof Error ? error.message : String(error),
          {},
          { cause: error },
        );
    const causeMessage = this.#scrub(cause.message);
    const rollback = await this.#rollback(`spawn of ${this.#agentName} failed at ${step}: ${causeMessage}`);
    const undone =
      rollback.length === 0
        ? 'nothing'
        : rollback
            .map((action) =>
              action.status === 'done' ? action.action : `${action.action} FAILED (${action.detail})`,
            )
            .join(', ');
    const details: SpawnFailureDetails = {
      step,
      steps: this.#recorder.steps,
      rollback,
      causeDetails: this.#scrubDetails(cause.details),
    };
    return new ColibriError(
      cause.code,
      `spawn of ${this.#agentName} failed at ${step}: ${causeMessage}; rolled back: ${undone}`,
      { ...details },
      { cause },
    );
  }

  /** Undoes what this run did, in a fixed order; every action runs even when an earlier one failed. */
  async #rollback(reason: string): Promise<RollbackAction[]> {
    const { driver, hive } = this.#options;
    const changes = this.#changes;
    const actions: RollbackAction[] = [];
    const act = async (action: string, undo: () => Promise<string>) => {
      let done: RollbackAction;
      try {
        done = { action, status: 'done', detail: this.#scrub(await undo()) };
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        done = { action, status: 'failed', detail: this.#scrub(message) };
      }
      actions.push(Object.freeze(done));
      try {
        this.#options.onProgress?.({ kind: 'rollback', action: done });
      } catch {
        // A broken printer must not stop the rollback.
      }
    };

    if (changes.startAttempted) {
      await act('stop agent', async () =>
        (await driver.stopAgent(this.#jail)) === 'stopped' ? 'agent stopped' : 'the agent was not running',
      );
    }
    if (changes.reconfiguredFrom !== undefined) {
      const previous = changes.reconfiguredFrom;
      await act('restart with the previous settings', async () => {
        await driver.startAgent(this.#jail, this.#launchWith(previous));
        return `agent ${this.#agentName} running again as before the reconfiguration`;
      });
    }
    if (changes.startAttempted || changes.joinToken !== undefined) {
      // After the stop nothing can register any more: one look decides.
      let late: HiveAgent | undefined;
      let lookError: unknown;
      try {
        const agent = await hive.findAgent(this.#agentName);
        const before = this.#before;
        if (
          agent !== undefined &&
          agent.tenant === this.#tenantName &&
          (before === undefined || agent.id !== before.id)
        ) {
          late = agent;
        }
      } catch (error) {
        lookError = error;
      }
      if (lookError !== undefined) {
        await act('retire agent', () => Promise.reject(lookError));
      } else if (late !== undefined) {
        const agentId = late.id;
        await act('retire agent', async () => {
          await hive.retireAgent(agentId, reason.slice(0, MAX_REASON));
          return `agent ${agentId} retired`;
        });
      }
    }
    if (changes.joinToken !== undefined) {
      const token = changes.joinToken;
      await act('revoke join token', async () => {
        await hive.revokeJoinToken(token);
        return 'the join token can no longer register anything';
      });
    }
    // A restored agent keeps its .env: it holds the tenant's current secrets, no join token (a
    // reconfigured agent is registered), and the restarted agent reads it.
    if (changes.envPath !== undefined && changes.reconfiguredFrom === undefined) {
      const path = changes.envPath;
      const root = this.#jailInfo().allowedRoot;
      await act('remove .env', async () =>
        (await removeEnvFile(path, root)) === 'removed' ? `${path} removed` : `${path} was already gone`,
      );
    }
    if (changes.createdJail) {
      await act('destroy jail', async () =>
        (await driver.destroy(this.#jail)) === 'destroyed'
          ? `jail ${this.#jail} destroyed`
          : `jail ${this.#jail} was already gone`,
      );
    }
    if (changes.attempted && this.#tenant !== undefined) {
      await act('tenant → failed', async () => {
        await hive.setTenantStatus(this.#tenantName, 'failed', reason.slice(0, MAX_REASON));
        return `tenant ${this.#tenantName} marked failed`;
      });
    }
    return actions;
  }

  #scrubDetails(details: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
    if (this.#secrets.length === 0) return details;
    try {
      return JSON.parse(this.#scrub(JSON.stringify(details))) as Record<string, unknown>;
    } catch {
      return {};
    }
  }
}

function preflightError(kind: string, report: PreflightReport): ColibriError {
  const failed = report.checks.filter((check) => !check.ok);
  const listed = failed
    .map((check) => `${check.name}: ${check.detail}${check.fix === undefined ? '' : ` (fix: ${check.fix})`}`)
    .join('; ');
  return new ColibriError(
    'COLIBRI_PREFLIGHT_FAILED',
    `the ${kind} jail host is not ready, ${failed.length} check(s) failed: ${listed}`,
    { checks: report.checks, facts: report.facts },
  );
}

function describeFacts(report: PreflightReport): string {
  const facts = Object.entries(report.facts);
  return facts.length === 0 ? '' : ` (${facts.map(([key, value]) => `${key} ${value}`).join(', ')})`;
}
