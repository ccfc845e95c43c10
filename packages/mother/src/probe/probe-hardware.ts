import {
  type CategoryProbe,
  describeFailure,
  firstLine,
  type ProbeContext,
  type ProbeOutcome,
} from './probe-context.js';

/** `gpu`: `nvidia-smi -L` lists a GPU, or a DRM render node (`/dev/dri/renderD*`) exists. */
async function probeGpu(context: ProbeContext): Promise<ProbeOutcome> {
  const reasons: string[] = [];
  const nvidiaSmi = await context.which('nvidia-smi');
  if (nvidiaSmi === undefined) {
    reasons.push('no nvidia-smi on PATH');
  } else {
    const result = await context.run(nvidiaSmi, ['-L']);
    const gpuLine = result?.stdout.split('\n').find((line) => line.startsWith('GPU '));
    if (result?.exitCode === 0 && gpuLine !== undefined) {
      return { found: [{ tag: 'gpu', evidence: `${nvidiaSmi} -L: ${firstLine(gpuLine)}` }], absent: [] };
    }
    reasons.push(
      result?.exitCode === 0 ? `${nvidiaSmi} -L listed no GPU` : `${nvidiaSmi} -L ${describeFailure(result)}`,
    );
  }
  const dri = context.rooted('/dev/dri');
  const renderNode = (await context.list(dri)).find((name) => /^renderD\d+$/.test(name));
  if (renderNode !== undefined) {
    return { found: [{ tag: 'gpu', evidence: `DRM render node ${dri}/${renderNode}` }], absent: [] };
  }
  reasons.push(`no render node in ${dri}`);
  return { found: [], absent: [{ tag: 'gpu', reason: reasons.join('; ') }] };
}

/** `zfs`: `/dev/zfs` exists and `zfs list` names at least one pool this agent can see. */
async function probeZfs(context: ProbeContext): Promise<ProbeOutcome> {
  const absent = (reason: string): ProbeOutcome => ({ found: [], absent: [{ tag: 'zfs', reason }] });
  const device = context.rooted('/dev/zfs');
  const kind = await context.kind(device);
  if (kind === undefined || kind === 'directory') return absent(`no ${device}`);
  const zfs = await context.which('zfs');
  if (zfs === undefined) return absent(`${device} exists but no zfs on PATH`);
  const result = await context.run(zfs, ['list', '-H', '-o', 'name', '-d', '0']);
  if (result?.exitCode !== 0) return absent(`${zfs} list ${describeFailure(result)}`);
  const pools = result.stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  if (pools.length === 0) return absent(`${zfs} list shows no pool`);
  return {
    found: [{ tag: 'zfs', evidence: `${device} and ${zfs} list shows ${pools.slice(0, 5).join(', ')}` }],
    absent: [],
  };
}

/** Hardware tags: `gpu`, `zfs`. */
export const probeHardware: CategoryProbe = async (context) => {
  const outcomes = await Promise.all([probeGpu(context), probeZfs(context)]);
  return { found: outcomes.flatMap((o) => o.found), absent: outcomes.flatMap((o) => o.absent) };
};
