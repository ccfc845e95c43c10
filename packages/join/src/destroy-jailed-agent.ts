import { ColibriError, isColibriError } from '@colibri/errors';
import { parseAgentName, parseJailName, parseTenantName } from '@colibri/protocol';
import type { JailStatus } from '@colibri/spawner';
import type { HiveAgent, HiveTenant } from './hive-port.js';
import type { DestroyJailedAgentOptions, DestroyReport, DestroyStep } from './spawn-report.js';
import { type StepFailure, StepRecorder } from './step-recorder.js';

/** The daemon's tenant event log takes reasons up to this length. */
const MAX_REASON = 1000;

/**
 * Tears an agent down: retire its registration (its token stops working at once, its unfinished
 * tasks are handed back, its name becomes free), stop it, destroy its jail (the `.env` goes with
 * the jail home), and move the tenant to `pending` — no jail, no `.env`: what a freshly registered
 * tenant is, so `spawn-agent` can start over.
 *
 * Checked before anything is touched: the names; the tenant exists; an agent of that name
 * registered for another tenant is refused (`COLIBRI_INVALID_INPUT`, naming its tenant); a jail
 * colibri did not create, or one holding another agent, is refused (`COLIBRI_JAIL_EXISTS`) and left
 * alone. Idempotent: with nothing left, every step is skipped and the outcome is `absent`.
 *
 * Every step runs even when an earlier one failed (a daemon that cannot be reached must not keep
 * the jail and its secrets alive); then the first failure is thrown with its own code, the
 * message `destroy of <agent> failed at <step>: <cause>` and `details.steps`.
 */
export async function destroyJailedAgent(options: DestroyJailedAgentOptions): Promise<DestroyReport> {
  const { driver, hive } = options;
  const recorder = new StepRecorder<DestroyStep>(options.onProgress, (text) => text);
  const agentName = parseAgentName(options.agentName);
  const tenantName = parseTenantName(options.tenant);
  const tenant: HiveTenant = await hive.getTenant(tenantName);
  const jail = parseJailName(tenant.jail);
  const [agent, status]: [HiveAgent | undefined, JailStatus] = await Promise.all([
    hive.findAgent(agentName),
    driver.inspect(jail),
  ]);
  if (agent !== undefined && agent.tenant !== tenantName) {
    throw new ColibriError(
      'COLIBRI_INVALID_INPUT',
      `agent ${agentName} belongs to ${agent.tenant === null ? 'the shared lane' : `tenant ${agent.tenant}`}, ` +
        `not tenant ${tenantName}: nothing was touched${agent.tenant === null ? '' : ` (pass --tenant ${agent.tenant})`}`,
      { agentName, tenant: agent.tenant },
    );
  }
  if (status.exists && (status.info === null || status.info.agentName !== agentName)) {
    throw new ColibriError(
      'COLIBRI_JAIL_EXISTS',
      status.info === null
        ? `jail ${jail} exists but colibri did not create it: it is left alone`
        : `jail ${jail} holds agent ${status.info.agentName}, not ${agentName}: it is left alone`,
      { jail, ...(status.info === null ? {} : { agentName: status.info.agentName }) },
    );
  }

  const failures: StepFailure[] = [];
  const step = async (name: DestroyStep, body: Parameters<StepRecorder<DestroyStep>['run']>[1]) => {
    try {
      await recorder.run(name, body);
    } catch (error) {
      failures.push(error as StepFailure);
    }
  };

  if (agent === undefined) recorder.skip('retire-agent', `no agent ${agentName} is registered`);
  else {
    await step('retire-agent', async () => {
      await hive.retireAgent(agent.id, `destroy-agent ${agentName}: jail ${jail} torn down`);
      return `agent ${agent.id} retired: its token is refused from now on`;
    });
  }

  if (!status.exists) {
    recorder.skip('stop-agent', `no jail ${jail}`);
    recorder.skip('destroy-jail', `no jail ${jail}`);
  } else {
    await step('stop-agent', async () => {
      const stopped = await driver.stopAgent(jail);
      if (stopped === 'not-running') return { skipped: 'the agent was not running' };
      return 'agent stopped';
    });
    await step('destroy-jail', async () => {
      const destroyed = await driver.destroy(jail);
      if (destroyed === 'absent') return { skipped: `jail ${jail} was already gone` };
      return `jail ${jail} destroyed with its home and .env`;
    });
  }

  if (tenant.status === 'pending') recorder.skip('tenant-status', `tenant ${tenantName} is pending`);
  else {
    // Even with nothing to tear down: without a jail, pending is the truth.
    await step('tenant-status', async () => {
      await hive.setTenantStatus(
        tenantName,
        'pending',
        `agent ${agentName} destroyed: no jail, no .env`.slice(0, MAX_REASON),
      );
      return `tenant ${tenantName} pending (no jail, no .env)`;
    });
  }

  const [first] = failures;
  if (first !== undefined) {
    const cause = isColibriError(first.error)
      ? first.error
      : new ColibriError(
          'COLIBRI_SPAWN_FAILED',
          first.error instanceof Error ? first.error.message : String(first.error),
        );
    throw new ColibriError(
      cause.code,
      `destroy of ${agentName} failed at ${first.step}: ${cause.message}`,
      { step: first.step, steps: recorder.steps, causeDetails: cause.details },
      { cause },
    );
  }
  return Object.freeze({
    agentName,
    tenant: tenantName,
    jail,
    outcome: agent === undefined && !status.exists ? 'absent' : 'destroyed',
    steps: recorder.steps,
  });
}
