import { resolve } from 'node:path';
import type { ResolveIdentityOptions } from '@colibri/mother';
import { parseCapabilityList } from './parse-capability-list.js';

/** The parsed identity flags (plus the global `--socket` / `--url`), absent = undefined. */
export interface IdentityFlagValues {
  readonly 'identity-dir'?: string | undefined;
  readonly name?: string | undefined;
  readonly tenant?: string | undefined;
  readonly capabilities?: string | undefined;
  readonly handlers?: string | undefined;
  readonly slots?: number | undefined;
  readonly socket?: string | undefined;
  readonly url?: string | undefined;
}

/** What the process supplies: the command passes the real values. */
export interface IdentityContext {
  /** The environment (`COLIBRI_IDENTITY_DIR`, `COLIBRI_URL`, `COLIBRI_SOCKET`). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The working directory, for relative flag paths. */
  readonly cwd: string;
  /** The agent's home directory (defaults: `<home>/.env`, `<home>/handlers`). */
  readonly homedir: string;
  /** `COLIBRI_HOME`, resolved (default daemon socket `<colibriHome>/colibri.sock`). */
  readonly colibriHome: string;
}

/** How each identity field is spelled on the command line, for error messages. */
export const IDENTITY_FLAG_NAMES = Object.freeze({
  name: '--name',
  tenant: '--tenant',
  capabilities: '--capabilities',
  handlersDir: '--handlers',
  slots: '--slots',
  daemon: '--socket/--url',
});

const given = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === '' ? undefined : value.trim();

/**
 * Turns the identity flags into {@link ResolveIdentityOptions}: the directory is
 * `--identity-dir` > `COLIBRI_IDENTITY_DIR` > none; `--capabilities` is checked here so a typo
 * names the flag; `--socket` / `--url` (else `COLIBRI_SOCKET` / `COLIBRI_URL`) become the flag
 * layer's daemon address. `run-agent` may
 * add further fields (e.g. `stateDir`) to the returned `flags`.
 */
export function identityOptionsFrom(
  flags: IdentityFlagValues,
  context: IdentityContext,
): ResolveIdentityOptions {
  const directory = given(flags['identity-dir']) ?? given(context.env.COLIBRI_IDENTITY_DIR);
  // `--socket`/`--url` win; without either, COLIBRI_URL/COLIBRI_SOCKET (as every command honours
  // them) set the same strongest layer, so an agent unit can point at the bridge by environment.
  const fromFlags = given(flags.socket) !== undefined || given(flags.url) !== undefined;
  const socket = fromFlags ? given(flags.socket) : given(context.env.COLIBRI_SOCKET);
  const url = fromFlags ? given(flags.url) : given(context.env.COLIBRI_URL);
  const capabilities = given(flags.capabilities);
  return {
    directory: directory === undefined ? null : resolve(context.cwd, directory),
    flags: {
      name: given(flags.name),
      tenant: given(flags.tenant),
      capabilities: capabilities === undefined ? undefined : [...parseCapabilityList(capabilities)],
      handlersDir: given(flags.handlers),
      slots: flags.slots,
      daemon: url !== undefined ? { url } : socket !== undefined ? { socketPath: socket } : undefined,
    },
    defaults: { home: context.homedir, colibriHome: context.colibriHome },
    cwd: context.cwd,
    flagNames: IDENTITY_FLAG_NAMES,
  };
}
