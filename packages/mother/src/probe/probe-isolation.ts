import {
  type CategoryProbe,
  describeFailure,
  firstLine,
  type ProbeContext,
  type ProbeOutcome,
} from './probe-context.js';

/** `docker`: the CLI is on PATH and `docker info` reaches a daemon this user may talk to. */
async function probeDocker(context: ProbeContext): Promise<ProbeOutcome> {
  const docker = await context.which('docker');
  if (docker === undefined) return { found: [], absent: [{ tag: 'docker', reason: 'no docker on PATH' }] };
  const result = await context.run(docker, ['info', '--format', '{{.ServerVersion}}']);
  if (result?.exitCode !== 0) {
    return {
      found: [],
      absent: [
        {
          tag: 'docker',
          reason: `${docker} info ${describeFailure(result)} (is the daemon running and may this user use it?)`,
        },
      ],
    };
  }
  const version = firstLine(result.stdout);
  return {
    found: [
      {
        tag: 'docker',
        evidence: `${docker} info reached a daemon${version === '' ? '' : ` (server ${version})`}`,
      },
    ],
    absent: [],
  };
}

/**
 * `freebsd-jail`: this host can create jails — FreeBSD, `jail(8)` on PATH, and either not jailed
 * itself or a jail allowed to have child jails (`security.jail.children.max` > 0).
 */
async function probeFreebsdJail(context: ProbeContext): Promise<ProbeOutcome> {
  const absent = (reason: string): ProbeOutcome => ({ found: [], absent: [{ tag: 'freebsd-jail', reason }] });
  if (context.platform !== 'freebsd')
    return absent(`jails need FreeBSD; the platform is ${context.platform}`);
  const jail = await context.which('jail');
  if (jail === undefined) return absent('no jail(8) on PATH (is /usr/sbin on PATH?)');
  const sysctl = await context.which('sysctl');
  if (sysctl === undefined) return absent('no sysctl on PATH to check security.jail.jailed');
  const jailed = await context.run(sysctl, ['-n', 'security.jail.jailed']);
  if (jailed?.exitCode !== 0) return absent(`sysctl -n security.jail.jailed ${describeFailure(jailed)}`);
  if (jailed.stdout.trim() === '0') {
    return {
      found: [{ tag: 'freebsd-jail', evidence: `${jail} present and this host is not itself jailed` }],
      absent: [],
    };
  }
  const children = await context.run(sysctl, ['-n', 'security.jail.children.max']);
  const max = children?.exitCode === 0 ? Number.parseInt(children.stdout.trim(), 10) : 0;
  if (max > 0) {
    return {
      found: [{ tag: 'freebsd-jail', evidence: `${jail} present; jailed, but allowed ${max} child jail(s)` }],
      absent: [],
    };
  }
  return absent(
    'this host is itself a jail that may not create child jails (security.jail.children.max is 0)',
  );
}

/** Isolation tags: `docker`, `freebsd-jail`. */
export const probeIsolation: CategoryProbe = async (context) => {
  const outcomes = await Promise.all([probeDocker(context), probeFreebsdJail(context)]);
  return { found: outcomes.flatMap((o) => o.found), absent: outcomes.flatMap((o) => o.absent) };
};
