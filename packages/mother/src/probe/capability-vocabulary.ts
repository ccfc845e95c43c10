/**
 * The tags the probe can confirm (the seed's shared vocabulary). Exact tags, plus version
 * families whose tag carries the version the probe reads (`python3.12`, `node24`).
 */
export const PROBE_VOCABULARY = Object.freeze({
  os: Object.freeze(['linux', 'freebsd']),
  isolation: Object.freeze(['docker', 'freebsd-jail']),
  display: Object.freeze(['gui', 'screenshot', 'wayland']),
  hardware: Object.freeze(['gpu', 'zfs']),
  runtime: Object.freeze(['rust', 'go']),
  media: Object.freeze(['ffmpeg', 'image-render']),
});

/** Version families: `python3.N` and `nodeN`. A bare `node` or `python` is not one (no version to confirm). */
export const PROBE_VERSION_FAMILIES: readonly RegExp[] = Object.freeze([/^python3\.\d+$/, /^node\d+$/]);

const EXACT = new Set(Object.values(PROBE_VOCABULARY).flat());

/**
 * True when the probe could confirm `tag` on a host that has it — a tag the probe speaks for.
 * Other tags (lane names such as `media`, `hermes`, `shell`) are declarations the probe cannot check.
 */
export function isProbeVocabularyTag(tag: string): boolean {
  return EXACT.has(tag) || PROBE_VERSION_FAMILIES.some((family) => family.test(tag));
}
