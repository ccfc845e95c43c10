/** One sample of a Prometheus text exposition. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A parsed exposition: metric families by name (type, help) and every sample. */
export interface Exposition {
  readonly families: ReadonlyMap<string, { type: string; help: string }>;
  readonly samples: readonly Sample[];
  /** The value of the one sample named `name` whose labels include `labels`; undefined if none. */
  value(name: string, labels?: Readonly<Record<string, string>>): number | undefined;
}

const SUFFIXES: Readonly<Record<string, readonly string[]>> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['_sum', '_count'],
};

function unescapeLabel(value: string): string {
  return value.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

/**
 * A strict parser of the text format (0.0.4), for tests: every sample must belong to a family
 * declared by `# TYPE` before it (with the histogram/summary suffixes), label values must be
 * quoted and escaped, values must be numbers, and a series may appear once. Throws naming the
 * offending line.
 */
export function parseExposition(text: string): Exposition {
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const families = new Map<string, { type: string; help: string }>();
  const helps = new Map<string, string>();
  const samples: Sample[] = [];
  const seen = new Set<string>();
  const lines = text.slice(0, -1).split('\n');
  lines.forEach((line, i) => {
    const where = `line ${i + 1}: ${line}`;
    if (line === '') return;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta !== null) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      if (kind === 'HELP') helps.set(name, rest);
      else {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) throw new Error(where);
        if (families.has(name)) throw new Error(`${where} (declared twice)`);
        families.set(name, { type: rest, help: helps.get(name) ?? '' });
      }
      return;
    }
    if (line.startsWith('#')) return;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/.exec(line);
    if (sample === null) throw new Error(`${where} (not a sample)`);
    const [, name, labelText = '', valueText] = sample as unknown as [
      string,
      string,
      string | undefined,
      string,
    ];
    const family = [...families.entries()].find(
      ([family, { type }]) => family === name || (SUFFIXES[type] ?? []).some((s) => `${family}${s}` === name),
    );
    if (family === undefined) throw new Error(`${where} (no # TYPE for it)`);
    const labels: Record<string, string> = {};
    const labelPattern = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/y;
    let at = 0;
    while (at < labelText.length) {
      labelPattern.lastIndex = at;
      const label = labelPattern.exec(labelText);
      if (label === null) throw new Error(`${where} (bad labels)`);
      labels[label[1]!] = unescapeLabel(label[2]!);
      at = labelPattern.lastIndex;
    }
    // Values are Go floats: NaN and ±Inf in any case (prom-client writes `Nan` for an empty mean).
    const special = /^([+-]?)(inf|infinity|nan)$/i.exec(valueText);
    const value =
      special === null
        ? Number(valueText)
        : special[2]!.toLowerCase() === 'nan'
          ? Number.NaN
          : special[1] === '-'
            ? -Infinity
            : Infinity;
    if (special === null && (Number.isNaN(value) || !/^[+-]?[0-9.eE+-]+$/.test(valueText))) {
      throw new Error(`${where} (bad value)`);
    }
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw new Error(`${where} (series repeated)`);
    seen.add(key);
    samples.push({ name, labels, value });
  });
  return {
    families,
    samples,
    value(name, want = {}) {
      const matching = samples.filter(
        (s) => s.name === name && Object.entries(want).every(([k, v]) => s.labels[k] === v),
      );
      if (matching.length > 1)
        throw new Error(`${matching.length} samples match ${name} ${JSON.stringify(want)}`);
      return matching[0]?.value;
    },
  };
}
