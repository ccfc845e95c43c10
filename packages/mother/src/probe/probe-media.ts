import {
  type CategoryProbe,
  describeFailure,
  firstLine,
  type ProbeContext,
  type ProbeOutcome,
} from './probe-context.js';

/** `ffmpeg`: the binary runs and prints its version banner. */
async function probeFfmpeg(context: ProbeContext): Promise<ProbeOutcome> {
  const ffmpeg = await context.which('ffmpeg');
  if (ffmpeg === undefined) return { found: [], absent: [{ tag: 'ffmpeg', reason: 'no ffmpeg on PATH' }] };
  const result = await context.run(ffmpeg, ['-version']);
  const banner = firstLine(result?.stdout ?? '');
  if (result?.exitCode !== 0 || !/^ffmpeg version \S+/.test(banner)) {
    const why =
      result?.exitCode === 0 ? `printed ${JSON.stringify(banner)}, not a version` : describeFailure(result);
    return { found: [], absent: [{ tag: 'ffmpeg', reason: `${ffmpeg} -version ${why}` }] };
  }
  return { found: [{ tag: 'ffmpeg', evidence: `${ffmpeg} -version printed "${banner}"` }], absent: [] };
}

/** `image-render`: Pillow imports in the `python3` on PATH (what image-render handlers run with). */
async function probeImageRender(context: ProbeContext): Promise<ProbeOutcome> {
  const python = await context.which('python3');
  if (python === undefined) {
    return {
      found: [],
      absent: [{ tag: 'image-render', reason: 'no python3 on PATH to import Pillow (PIL)' }],
    };
  }
  const result = await context.run(python, ['-c', 'import PIL; print(PIL.__version__)']);
  if (result?.exitCode !== 0) {
    return {
      found: [],
      absent: [
        { tag: 'image-render', reason: `${python} cannot import PIL (Pillow): ${describeFailure(result)}` },
      ],
    };
  }
  const version = firstLine(result.stdout);
  return {
    found: [
      {
        tag: 'image-render',
        evidence: `${python} imports PIL (Pillow${version === '' ? '' : ` ${version}`})`,
      },
    ],
    absent: [],
  };
}

/** Media tags: `ffmpeg`, `image-render`. */
export const probeMedia: CategoryProbe = async (context) => {
  const outcomes = await Promise.all([probeFfmpeg(context), probeImageRender(context)]);
  return { found: outcomes.flatMap((o) => o.found), absent: outcomes.flatMap((o) => o.absent) };
};
