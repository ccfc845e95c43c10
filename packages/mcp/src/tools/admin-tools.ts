import { parseAgentName, parseCapabilities, parseTenantName } from '@colibri/protocol';
import * as v from 'valibot';
import { defineTool } from '../define-tool.js';
import { integer, tagList, text } from '../field-schemas.js';
import { joinTokenSchema, spawnReportSchema } from '../output-schemas.js';

const SPAWN_PROGRESS_EVERY_MS = 2000;

export const spawnAgent = defineTool({
  name: 'spawn_agent',
  title: 'Spawn a jailed agent (admin)',
  description:
    "Runs the join chain through colibrid: a jail for the tenant, its .env, run-agent started inside, registered. The operator may spawn for any registered tenant; a mother agent only what colibrid's spawn policy allows (refused with every reason otherwise). Needs colibrid started with --spawn-driver. Takes seconds to minutes; sends progress while it runs.",
  toolset: 'admin',
  readOnly: false,
  input: v.strictObject({
    name: text(1, 63, "the new agent's name"),
    tenant: text(1, 32, "its tenant (registered; the jail is the tenant's)"),
    capabilities: v.optional(
      tagList(
        'the tags it advertises; default what its probe finds inside the jail (a mother must list them)',
      ),
    ),
  }),
  output: spawnReportSchema,
  async run(args, { hive, progress }) {
    const request = {
      name: parseAgentName(args.name),
      tenant: parseTenantName(args.tenant),
      ...(args.capabilities === undefined ? {} : { capabilities: parseCapabilities(args.capabilities) }),
    };
    const started = Date.now();
    // The daemon answers once the whole chain has run: tell the client it is still going.
    const timer = setInterval(() => {
      void progress({
        progress: Math.round((Date.now() - started) / 1000),
        message: `spawning ${request.name} for tenant ${request.tenant}`,
      }).catch(() => undefined);
    }, SPAWN_PROGRESS_EVERY_MS);
    try {
      const report = await hive.spawnAgent(request);
      return { ...report, steps: [...report.steps] };
    } finally {
      clearInterval(timer);
    }
  },
  summarize: (report) =>
    `agent ${report.agentName} ${report.outcome}: tenant ${report.tenant}, jail ${report.jail} (${report.driver}), id ${report.agentId}`,
});

export const joinToken = defineTool({
  name: 'join_token',
  title: 'Issue a join token (admin)',
  description:
    "A one-time token that lets one agent register into the tenant (put it in the agent's .env as COLIBRI_JOIN_TOKEN). Operator only; shown once.",
  toolset: 'admin',
  readOnly: false,
  input: v.strictObject({
    tenant: text(1, 32, 'the tenant the agent will belong to'),
    ttl_seconds: v.optional(
      integer(1, 7 * 24 * 3600, 'how long it stays valid; default 3600, at most 7 days'),
    ),
  }),
  output: joinTokenSchema,
  run: async (args, { hive }) =>
    hive.createJoinToken({
      tenant: parseTenantName(args.tenant),
      ...(args.ttl_seconds === undefined ? {} : { ttlSeconds: args.ttl_seconds }),
    }),
  summarize: (t) => `join token for tenant ${t.tenant}, valid until ${t.expiresAt}`,
});

export const adminTools = [spawnAgent, joinToken];
