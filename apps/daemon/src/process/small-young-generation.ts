import { setFlagsFromString } from 'node:v8';

/** Node flags with which the operator chose the young generation's size themselves. */
const YOUNG_GENERATION_FLAG = /^--(max-semi-space-size|min-semi-space-size|semi-space-growth-factor)\b/;

/**
 * Keeps V8's young generation at its initial size (1 MiB per semi-space) instead of letting it
 * grow to 16 MiB per semi-space under allocation: colibrid's allocations are short-lived request
 * garbage and long-lived fleet state, so a big nursery buys little and costs ~20–30 MiB of RSS
 * (measured with 10,000 agents: `pnpm bench`, the idle-fleet section). The growth factor is the
 * one young-generation setting V8 still reads after start-up (`--max-semi-space-size` is only read
 * when the heap is set up, i.e. as a node flag). An operator who sets any young-generation flag
 * (on node's command line, or `--max-semi-space-size` in `NODE_OPTIONS`, which refuses the growth
 * factor) keeps theirs. Called by `main.ts` only, before anything else runs.
 */
export function keepYoungGenerationSmall(
  execArgv: readonly string[],
  nodeOptions: string | undefined,
): boolean {
  const flags = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)];
  if (flags.some((flag) => YOUNG_GENERATION_FLAG.test(flag))) return false;
  setFlagsFromString('--semi-space-growth-factor=1');
  return true;
}
