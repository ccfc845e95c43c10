import type { AgentOfflineResult } from '@colibri/store';
import type { App } from '../api/app.js';

/**
 * Retires an agent for good and makes every part of this daemon know it at once: the store clears
 * its token hash, frees its name and hands its unfinished tasks back (one transaction); the
 * authenticator forgets its cached token, so its very next request is refused (other daemons on
 * the same PostgreSQL forget it when the change feed reports it offline); the tasks handed back
 * are dispatched to other agents. Idempotent (a retired agent hands nothing back).
 */
export async function retireAgent(
  app: App,
  agentId: string,
  reason: string,
  by: string,
): Promise<AgentOfflineResult> {
  const result = await app.store.retireAgent(agentId, { reason, at: app.clock() });
  app.authenticator.forgetAgent(agentId);
  app.lastSeen.forget(agentId);
  for (const task of [...result.requeued, ...result.failed]) app.metrics.taskMoved(task.status);
  app.logger.info(
    {
      agentId,
      agent: result.agent.name,
      tenant: result.agent.tenant,
      requeued: result.requeued.map((t) => t.id),
      failed: result.failed.map((t) => t.id),
      by,
    },
    `agent retired: ${reason}`,
  );
  try {
    await app.dispatcher.agentWentOffline(result);
  } catch (error) {
    // Committed already: the answer stays a success and the safety sweep dispatches the tasks.
    app.logger.error({ err: error, agentId }, 'dispatch deferred to the safety sweep');
  }
  return result;
}
