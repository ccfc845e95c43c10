import { parseRequest, pruneRequestSchema } from '@colibri/api';
import { pruneFinished } from '../dispatch/prune-finished.js';
import { requireOperator } from './access.js';
import type { ApiRoute, Handler } from './app.js';

/**
 * `POST /v1/prune`: deletes finished tasks (and their events) that finished longer ago than
 * `olderThanSeconds`, in small batches, or with `dryRun` only counts them. Operator only.
 */
const prune: Handler = async (app, { principal, body, signal }) => {
  requireOperator(principal, 'prune tasks');
  const request = parseRequest(pruneRequestSchema, body, 'request body');
  const finishedBefore = new Date(app.clock().getTime() - request.olderThanSeconds * 1000);
  const dryRun = request.dryRun ?? false;
  const counts = await pruneFinished(app.store, app.metrics, finishedBefore, { dryRun, signal });
  app.logger.info(
    { ...counts, dryRun, finishedBefore: finishedBefore.toISOString() },
    dryRun ? 'prune dry run: counted finished tasks' : 'pruned finished tasks',
  );
  return { status: 200, body: { dryRun, finishedBefore: finishedBefore.toISOString(), ...counts } };
};

/** `/v1/prune` */
export const retentionRoutes: readonly ApiRoute[] = [
  { method: 'POST', pattern: '/v1/prune', audience: ['operator'], handler: prune },
];
