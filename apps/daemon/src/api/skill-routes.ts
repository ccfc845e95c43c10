import { listSkills } from '../skills/skill-catalogue.js';
import type { ApiRoute, Handler } from './app.js';

const list: Handler = async (app, { principal }) => {
  // An agent sees the skills its tasks could reach: its own tenant's agents and the shared lanes.
  const agents = (await app.store.listAgents()).filter(
    (agent) => principal.kind !== 'agent' || agent.tenant === null || agent.tenant === principal.tenant,
  );
  return { status: 200, body: { skills: listSkills(agents) } };
};

/** The hive's skills catalogue. */
export const skillRoutes: readonly ApiRoute[] = [
  { method: 'GET', pattern: '/v1/skills', audience: ['operator', 'agent'], handler: list },
];
