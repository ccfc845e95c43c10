import { parseCapabilities } from '@colibri/protocol';

/**
 * Parses a `--capabilities` value: comma-separated, each tag trimmed, empty items dropped (so `''`
 * is the empty list), then checked with the protocol's tag rules so a typo fails here, naming the
 * flag and the tag, before anything is sent.
 */
export function parseCapabilityList(csv: string, flag = '--capabilities'): readonly string[] {
  const tags = csv
    .split(',')
    .map((tag) => tag.trim())
    .filter((tag) => tag !== '');
  return parseCapabilities(tags, flag);
}
