import * as Flags from '@oclif/core/flags';

const IDENTITY = 'IDENTITY';

/**
 * The flags that name an agent's identity, shared by `colibri identity` and `colibri run-agent`:
 * each sets the strongest (flag) layer over the identity directory's files. The daemon address
 * of the flag layer comes from the global `--socket` / `--url`.
 */
export const identityFlags = {
  'identity-dir': Flags.string({
    description:
      'directory with the identity layers image, host, tenant, agent (.yaml, .yml or .json), later ones ' +
      'winning [env: COLIBRI_IDENTITY_DIR]',
    helpGroup: IDENTITY,
    helpValue: 'DIR',
  }),
  name: Flags.string({
    description: 'agent name (overrides the identity files)',
    helpGroup: IDENTITY,
    helpValue: 'NAME',
  }),
  tenant: Flags.string({
    description: "the agent's tenant (overrides the identity files)",
    helpGroup: IDENTITY,
    helpValue: 'TENANT',
  }),
  capabilities: Flags.string({
    description:
      'comma-separated declared capability tags (overrides the identity files; without any, the agent ' +
      'advertises what `colibri probe` finds)',
    helpGroup: IDENTITY,
    helpValue: 'TAGS',
  }),
  handlers: Flags.string({
    description: 'directory of task handler executables (overrides the identity files)',
    helpGroup: IDENTITY,
    helpValue: 'DIR',
  }),
  slots: Flags.integer({
    description:
      'tasks the agent holds and runs at once, registered with the daemon, which never gives it more ' +
      '(overrides the identity files) [default: 1]',
    helpGroup: IDENTITY,
    helpValue: 'N',
    // The upper bound (MAX_AGENT_SLOTS) is checked with the identity layers, naming the flag.
    min: 1,
    aliases: ['concurrency'],
    deprecateAliases: true,
  }),
};

// The flags' meaning lives in identity-options.ts, which loads no oclif (the light run-agent entry
// imports it directly); re-exported here for the commands.
export {
  IDENTITY_FLAG_NAMES,
  type IdentityContext,
  type IdentityFlagValues,
  identityOptionsFrom,
} from './identity-options.js';
