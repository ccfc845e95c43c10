import type { ColibriClient } from '@colibri/client';
import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import type { IdDisplay } from './format/id-display.js';

/** `--wide`, for the commands that print ids in a table. */
export const wideFlag = {
  wide: Flags.boolean({
    description: 'show whole ids (tables show their first 8 characters; --json always has whole ids)',
  }),
};

/** A task id argument: the whole id or a unique prefix, resolved by the daemon. */
export const taskIdArg = (what = 'the task') =>
  Args.string({
    description: `${what}: its id, or a unique prefix of it (6 characters or more)`,
    required: true,
  });

/** What `--agent` takes wherever an agent is named. */
export const AGENT_REF_DESCRIPTION = 'its id, its name, or a unique prefix of its id (6 characters or more)';

/**
 * How the human tables of this command show ids: `--wide` or short, and agent names from the
 * agent list when the token may read it (the operator's); otherwise ids only. Never called for
 * `--json`, which carries whole ids and no extra request.
 */
export async function idDisplayFor(
  client: ColibriClient,
  wide: boolean,
  withNames: boolean,
): Promise<IdDisplay> {
  if (!withNames) return { wide, agentNames: new Map() };
  try {
    const { agents } = await client.listAgents({ includeRetired: true });
    return { wide, agentNames: new Map(agents.map((agent) => [agent.id, agent.name])) };
  } catch {
    // An agent's token may not list agents: its tables show agent ids.
    return { wide, agentNames: new Map() };
  }
}
