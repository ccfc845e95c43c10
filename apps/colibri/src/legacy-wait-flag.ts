/** What {@link rewriteLegacyWait} made of an `intake-task` command line. */
export interface RewrittenWait {
  /** The command line in today's spelling (`--wait SECONDS`), ready for the parser. */
  readonly argv: string[];
  /** True when the old spelling was used (warn about it). */
  readonly legacy: boolean;
  /** The old bare `--wait` without `--wait-timeout`: wait with no limit. */
  readonly unlimited: boolean;
}

const isValue = (token: string | undefined): token is string => token !== undefined && !token.startsWith('-');

/**
 * `intake-task --wait` used to be a switch with its limit in `--wait-timeout SECONDS`; it is now
 * `--wait SECONDS`, like `poll`. For one release the old spelling still works: a bare `--wait`
 * (no value after it) and `--wait-timeout S` become `--wait S`, a bare `--wait` alone means no
 * limit. Anything else is left for the parser to judge.
 */
export function rewriteLegacyWait(argv: readonly string[]): RewrittenWait {
  const out = [...argv];
  let timeout: string | undefined;
  let sawTimeout = false;
  for (let i = 0; i < out.length; i++) {
    const token = out[i] as string;
    if (token === '--') break;
    if (token === '--wait-timeout') {
      sawTimeout = true;
      timeout = isValue(out[i + 1]) ? out[i + 1] : undefined;
      out.splice(i, timeout === undefined ? 1 : 2);
      i--;
    } else if (token.startsWith('--wait-timeout=')) {
      sawTimeout = true;
      timeout = token.slice('--wait-timeout='.length);
      out.splice(i, 1);
      i--;
    }
  }
  const at = out.indexOf('--wait');
  const bare = at >= 0 && !isValue(out[at + 1]);
  if (!bare) {
    // `--wait-timeout` with the new `--wait S`, or alone: keep it for the parser's own error.
    if (sawTimeout) {
      if (at >= 0) return { argv: out, legacy: true, unlimited: false };
      out.push('--wait-timeout', ...(timeout === undefined ? [] : [timeout]));
    }
    return { argv: out, legacy: false, unlimited: false };
  }
  if (timeout !== undefined) {
    out.splice(at, 1, '--wait', timeout);
    return { argv: out, legacy: true, unlimited: false };
  }
  out.splice(at, 1);
  return { argv: out, legacy: true, unlimited: true };
}
