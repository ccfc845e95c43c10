import type { ProbeReport, SkillOffer } from '@colibri/mother';
import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../base-command.js';

export default class Probe extends BaseCommand<typeof Probe> {
  static override summary = 'Print the capability tags this host can truly advertise.';
  static override description =
    'Probes the OS (linux, freebsd), isolation (docker, freebsd-jail), display (gui, screenshot, wayland: ' +
    'only when a display socket really exists), hardware (gpu, zfs), runtimes (python3.N, nodeN, rust, go: from ' +
    'real version output) and media (ffmpeg, image-render when python3 imports Pillow). A missing or broken ' +
    'tool is simply absent. --explain shows the evidence for each tag and why the others are missing; --json ' +
    'always carries both. Works offline: it does not contact the daemon.';
  static override examples = [
    '<%= config.bin %> probe',
    '<%= config.bin %> probe --explain',
    '<%= config.bin %> probe --json',
    '<%= config.bin %> probe --explain --handlers-dir /usr/local/libexec/colibri/handlers',
  ];
  static override flags = {
    explain: Flags.boolean({ description: 'show the evidence for every tag, and why the others are absent' }),
    'handlers-dir': Flags.string({
      description:
        'also show which skills (<name>.skill.yaml beside a handler) a host advertising exactly the probed tags would offer, and why not the others',
      helpValue: 'DIR',
    }),
    root: Flags.string({
      description: 'prefix for the fixed paths probed (/dev/zfs, /dev/dri, /tmp/.X11-unix); for tests',
      default: '/',
      hidden: true,
    }),
  };

  async run(): Promise<ProbeReport & { skills?: readonly SkillOffer[] }> {
    const [{ explainCapabilities, offerSkills, readSkillManifests }, { formatTable }] = await Promise.all([
      import('@colibri/mother'),
      import('../format/format-table.js'),
    ]);
    const report = await explainCapabilities({
      platform: process.platform,
      env: process.env,
      root: this.flags.root,
    });
    const handlersDir = this.flags['handlers-dir'];
    const skills =
      handlersDir === undefined
        ? undefined
        : offerSkills(
            await readSkillManifests(handlersDir),
            report.tags.map((entry) => entry.tag),
          );
    const showSkills = async () => {
      if (skills === undefined || handlersDir === undefined) return;
      const { formatSkillOffers } = await import('../format/format-skill-offers.js');
      this.log('');
      this.log(formatSkillOffers(handlersDir, skills));
    };
    if (!this.flags.explain) {
      this.log(report.tags.length === 0 ? 'no tags' : report.tags.map((entry) => entry.tag).join(' '));
      await showSkills();
      return skills === undefined ? report : { ...report, skills };
    }
    this.log(
      report.tags.length === 0
        ? 'no tags'
        : formatTable(
            ['TAG', 'EVIDENCE'],
            report.tags.map((entry) => [entry.tag, entry.evidence]),
          ),
    );
    if (report.absent.length > 0) {
      this.log('');
      this.log(
        formatTable(
          ['ABSENT', 'WHY'],
          report.absent.map((entry) => [entry.tag, entry.reason]),
        ),
      );
    }
    await showSkills();
    return skills === undefined ? report : { ...report, skills };
  }
}
