/**
 * How many tasks one agent may hold (assigned or running) at once: its slots. The daemon never
 * gives an agent more, and run-agent runs that many handlers side by side. One bound for every
 * layer that checks it (identity files, flags, the API, the store).
 */
export const MAX_AGENT_SLOTS = 10_000;

/** Slots of an agent that declares none: one task at a time. */
export const DEFAULT_AGENT_SLOTS = 1;
