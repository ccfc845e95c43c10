import {
  type CategoryProbe,
  describeFailure,
  firstLine,
  type ProbeContext,
  type ProbeOutcome,
} from './probe-context.js';
import type { AbsentTag, ProbedTag } from './probe-environment.js';

/** `python3.N` for `python3` and every `python3.N` interpreter on PATH, from what each one prints. */
async function probePython(context: ProbeContext): Promise<ProbeOutcome> {
  const interpreters = [
    ...new Set([
      ...[await context.which('python3')].filter((file) => file !== undefined),
      ...(await context.whichAll(/^python3\.\d+$/)),
    ]),
  ];
  if (interpreters.length === 0) {
    return { found: [], absent: [{ tag: 'python3.*', reason: 'no python3 or python3.N on PATH' }] };
  }
  const found = new Map<string, ProbedTag>();
  const failures: string[] = [];
  for (const file of interpreters) {
    const result = await context.run(file, ['--version']);
    // Python 3.4+ prints the version on stdout; older ones used stderr.
    const banner = firstLine(`${result?.stdout ?? ''}\n${result?.stderr ?? ''}`);
    const match = /^Python (3\.(\d+))\.\d+/.exec(banner);
    if (result?.exitCode !== 0 || match === null) {
      failures.push(
        `${file} --version ${result?.exitCode === 0 ? `printed ${JSON.stringify(banner)}` : describeFailure(result)}`,
      );
      continue;
    }
    const tag = `python${match[1]}`;
    if (!found.has(tag)) found.set(tag, { tag, evidence: `${file} --version printed "${banner}"` });
  }
  return {
    found: [...found.values()],
    absent: found.size === 0 ? [{ tag: 'python3.*', reason: failures.join('; ') }] : [],
  };
}

/** One tool whose version banner yields one tag. */
interface VersionedTool {
  readonly command: string;
  readonly args: readonly string[];
  /** The tag family for `--explain` when absent. */
  readonly family: string;
  /** The tag from the banner's first line, or undefined when it is not this tool's banner. */
  readonly tagFrom: (banner: string) => string | undefined;
}

const TOOLS: readonly VersionedTool[] = [
  {
    command: 'node',
    args: ['--version'],
    family: 'node*',
    tagFrom: (banner) => {
      const major = /^v(\d+)\.\d+\.\d+/.exec(banner)?.[1];
      return major === undefined ? undefined : `node${major}`;
    },
  },
  {
    command: 'rustc',
    args: ['--version'],
    family: 'rust',
    tagFrom: (banner) => (/^rustc \d+\.\d+\.\d+/.test(banner) ? 'rust' : undefined),
  },
  {
    command: 'go',
    args: ['version'],
    family: 'go',
    tagFrom: (banner) => (/^go version go\d+\.\d+/.test(banner) ? 'go' : undefined),
  },
];

async function probeTool(context: ProbeContext, tool: VersionedTool): Promise<ProbeOutcome> {
  const file = await context.which(tool.command);
  if (file === undefined)
    return { found: [], absent: [{ tag: tool.family, reason: `no ${tool.command} on PATH` }] };
  const result = await context.run(file, tool.args);
  const banner = firstLine(result?.stdout ?? '');
  const tag = result?.exitCode === 0 ? tool.tagFrom(banner) : undefined;
  if (tag === undefined) {
    const why =
      result?.exitCode === 0 ? `printed ${JSON.stringify(banner)}, not a version` : describeFailure(result);
    return { found: [], absent: [{ tag: tool.family, reason: `${file} ${tool.args.join(' ')} ${why}` }] };
  }
  return { found: [{ tag, evidence: `${file} ${tool.args.join(' ')} printed "${banner}"` }], absent: [] };
}

/**
 * Runtime tags, each from a real version banner: `python3.N`, `nodeN` (major version), `rust`
 * (rustc), `go`. A binary that is there but prints no version (broken, a stub) gives no tag.
 */
export const probeRuntimes: CategoryProbe = async (context) => {
  const outcomes = await Promise.all([
    probePython(context),
    ...TOOLS.map((tool) => probeTool(context, tool)),
  ]);
  const found: ProbedTag[] = outcomes.flatMap((o) => o.found);
  const absent: AbsentTag[] = outcomes.flatMap((o) => o.absent);
  return { found, absent };
};
