import { isProbeVocabularyTag } from './capability-vocabulary.js';
import type { AbsentTag, ProbedTag } from './probe-environment.js';

/** Inputs to {@link combineCapabilities}. */
export interface CombineCapabilitiesOptions {
  /** The identity's declared tags; null = advertise what the probe finds. */
  readonly declared: readonly string[] | null;
  /** Declared tags to accept without the probe's confirmation. */
  readonly force: readonly string[];
  /** What the probe found. */
  readonly probed: readonly ProbedTag[];
  /** What the probe did not find and why (from `explainCapabilities`), to make refusals specific. */
  readonly absent?: readonly AbsentTag[];
}

/** The tags to advertise, and the declared ones refused (the runtime refuses to start if any). */
export interface CombinedCapabilities {
  readonly capabilities: string[];
  readonly refused: Array<{ tag: string; reason: string }>;
}

function absentReason(tag: string, absent: readonly AbsentTag[]): string | undefined {
  const family = tag.startsWith('python3.') ? 'python3.*' : /^node\d+$/.test(tag) ? 'node*' : tag;
  return absent.find((entry) => entry.tag === tag || entry.tag === family)?.reason;
}

/**
 * The rule for combining declared and probed capability tags:
 * - `declared` is null → advertise exactly the probed tags.
 * - `declared` is a list → advertise exactly the declared tags, in their order. A declared tag
 *   the probe speaks for (its vocabulary: `linux`, `gpu`, `image-render`, … and the version
 *   families `python3.N`, `nodeN`) must be among the probed tags unless it is listed in `force`;
 *   otherwise it is refused with the reason. Tags outside the vocabulary (lane names like
 *   `media`, `hermes`, `shell`) are declarations the probe cannot check and are accepted.
 * Probed tags that were not declared are not advertised: a declaration is a deliberate, narrower
 * promise.
 */
export function combineCapabilities(options: CombineCapabilitiesOptions): CombinedCapabilities {
  const probed = new Set(options.probed.map((entry) => entry.tag));
  if (options.declared === null) return { capabilities: [...probed], refused: [] };
  const force = new Set(options.force);
  const capabilities: string[] = [];
  const refused: Array<{ tag: string; reason: string }> = [];
  for (const tag of options.declared) {
    if (!isProbeVocabularyTag(tag) || probed.has(tag) || force.has(tag)) {
      capabilities.push(tag);
      continue;
    }
    const why = absentReason(tag, options.absent ?? []);
    const versions = [...probed].filter((found) => sameFamily(found, tag));
    refused.push({
      tag,
      reason:
        `declared "${tag}" but the probe did not find it on this host` +
        (versions.length > 0 ? ` (it found ${versions.join(', ')})` : '') +
        (why === undefined ? '' : `: ${why}`) +
        '; install it, drop it from capabilities, or list it in forceCapabilities',
    });
  }
  return { capabilities, refused };
}

function sameFamily(a: string, b: string): boolean {
  return (
    (a.startsWith('python3.') && b.startsWith('python3.')) || (/^node\d+$/.test(a) && /^node\d+$/.test(b))
  );
}
