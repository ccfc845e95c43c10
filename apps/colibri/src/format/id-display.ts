import { shortId } from '@colibri/protocol';

/**
 * How a table shows ids: short (the first 8 characters, as git and docker do; every command
 * takes a unique prefix of 6 or more back) unless `--wide`, and agents by name where known.
 * `--json` never goes through this: it always carries whole ids.
 */
export interface IdDisplay {
  /** `--wide`: whole ids. */
  readonly wide: boolean;
  /** Agent id → name, for the agents the caller may list (empty: show ids). */
  readonly agentNames: ReadonlyMap<string, string>;
}

/** Short ids, no names: the default of every formatter. */
export const SHORT_IDS: IdDisplay = Object.freeze({ wide: false, agentNames: new Map<string, string>() });

/** `id` as the table shows it. */
export function displayId(id: string, display: IdDisplay): string {
  return display.wide ? id : shortId(id);
}

/** An agent as a table cell: its name when known, else its (short) id; `-` for none. */
export function displayAgent(agentId: string | null, display: IdDisplay): string {
  if (agentId === null) return '-';
  return display.agentNames.get(agentId) ?? displayId(agentId, display);
}
