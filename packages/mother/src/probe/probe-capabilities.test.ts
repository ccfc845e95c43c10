import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { explainCapabilities, probeCapabilities } from './probe-capabilities.js';
import type { ProbeEnvironment } from './probe-environment.js';

// Each test builds a fake host: a PATH of small shell scripts and a temp directory as `root`.
let base: string;
let bin: string;
let root: string;
const servers: Server[] = [];

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'colibri-probe-'));
  bin = join(base, 'bin');
  root = join(base, 'root');
  mkdirSync(bin);
  mkdirSync(root);
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  rmSync(base, { recursive: true, force: true });
});

/** An executable `name` in `dir` running `body` under /bin/sh (builtins only: PATH is fake). */
function tool(name: string, body: string, dir = bin): string {
  const file = join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

/** A real listening Unix socket at `path`, as a display server would have. */
async function socketAt(path: string): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const server = createServer();
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(path, resolve));
}

function file(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, '');
}

const env = (extra: Record<string, string> = {}): ProbeEnvironment => ({
  platform: 'linux',
  env: { PATH: bin, ...extra },
  root,
  timeoutMs: 10_000,
});

const PYTHON = `case "$1" in
  --version) echo "Python 3.12.3" ;;
  -c) echo "10.3.0" ;;
  *) exit 2 ;;
esac`;

async function tagsOf(environment: ProbeEnvironment): Promise<string[]> {
  return (await probeCapabilities(environment)).map((entry) => entry.tag);
}

async function absentReason(environment: ProbeEnvironment, tag: string): Promise<string | undefined> {
  return (await explainCapabilities(environment)).absent.find((entry) => entry.tag === tag)?.reason;
}

describe('probeCapabilities: a fully equipped Linux host', () => {
  it('finds every tag, in vocabulary order, each with its evidence', async () => {
    tool('python3', PYTHON);
    tool('python3.11', 'echo "Python 3.11.9"');
    tool('node', 'echo v24.1.0');
    tool('rustc', 'echo "rustc 1.82.0 (f6e511eec 2024-10-15)"');
    tool('go', 'echo "go version go1.23.1 linux/amd64"');
    tool('ffmpeg', 'echo "ffmpeg version 6.1.1-3ubuntu5 Copyright (c) 2000-2023 the FFmpeg developers"');
    tool('docker', '[ "$1" = info ] && echo 27.1.1');
    tool('nvidia-smi', 'echo "GPU 0: NVIDIA L4 (UUID: GPU-0f1e2d3c)"');
    tool('zfs', '[ "$1" = list ] && echo zroot');
    tool('scrot', 'exit 0');
    tool('grim', 'exit 0');
    file(join(root, 'dev/zfs'));
    await socketAt(join(root, 'tmp/.X11-unix/X0'));
    await socketAt(join(base, 'run/wayland-1'));

    const probed = await probeCapabilities(
      env({ DISPLAY: ':0', WAYLAND_DISPLAY: 'wayland-1', XDG_RUNTIME_DIR: join(base, 'run') }),
    );
    expect(probed).toEqual([
      { tag: 'linux', evidence: 'the platform is linux' },
      { tag: 'docker', evidence: `${bin}/docker info reached a daemon (server 27.1.1)` },
      { tag: 'gui', evidence: `DISPLAY=:0 and the X socket ${root}/tmp/.X11-unix/X0 exists` },
      { tag: 'wayland', evidence: `WAYLAND_DISPLAY=wayland-1 and the socket ${base}/run/wayland-1 exists` },
      { tag: 'screenshot', evidence: `a Wayland display and ${bin}/grim` },
      { tag: 'gpu', evidence: `${bin}/nvidia-smi -L: GPU 0: NVIDIA L4 (UUID: GPU-0f1e2d3c)` },
      { tag: 'zfs', evidence: `${root}/dev/zfs and ${bin}/zfs list shows zroot` },
      { tag: 'python3.12', evidence: `${bin}/python3 --version printed "Python 3.12.3"` },
      { tag: 'python3.11', evidence: `${bin}/python3.11 --version printed "Python 3.11.9"` },
      { tag: 'node24', evidence: `${bin}/node --version printed "v24.1.0"` },
      { tag: 'rust', evidence: `${bin}/rustc --version printed "rustc 1.82.0 (f6e511eec 2024-10-15)"` },
      { tag: 'go', evidence: `${bin}/go version printed "go version go1.23.1 linux/amd64"` },
      {
        tag: 'ffmpeg',
        evidence: `${bin}/ffmpeg -version printed "ffmpeg version 6.1.1-3ubuntu5 Copyright (c) 2000-2023 the FFmpeg developers"`,
      },
      { tag: 'image-render', evidence: `${bin}/python3 imports PIL (Pillow 10.3.0)` },
    ]);
  });
});

describe('probeCapabilities: each branch', () => {
  it('an empty PATH and a bare root: only the OS, every other tag explained', async () => {
    const report = await explainCapabilities(env());
    expect(report.tags).toEqual([{ tag: 'linux', evidence: 'the platform is linux' }]);
    expect(Object.fromEntries(report.absent.map((entry) => [entry.tag, entry.reason]))).toEqual({
      freebsd: 'the platform is linux',
      docker: 'no docker on PATH',
      'freebsd-jail': 'jails need FreeBSD; the platform is linux',
      gui: 'no display: DISPLAY is not set; WAYLAND_DISPLAY is not set',
      wayland: 'WAYLAND_DISPLAY is not set',
      screenshot: 'no display',
      gpu: `no nvidia-smi on PATH; no render node in ${root}/dev/dri`,
      zfs: `no ${root}/dev/zfs`,
      'python3.*': 'no python3 or python3.N on PATH',
      'node*': 'no node on PATH',
      rust: 'no rustc on PATH',
      go: 'no go on PATH',
      ffmpeg: 'no ffmpeg on PATH',
      'image-render': 'no python3 on PATH to import Pillow (PIL)',
    });
  });

  it('docker: on PATH but `docker info` fails → absent, with its error', async () => {
    tool('docker', 'echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock." >&2; exit 1');
    expect(await tagsOf(env())).not.toContain('docker');
    expect(await absentReason(env(), 'docker')).toBe(
      `${bin}/docker info exited 1: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. ` +
        '(is the daemon running and may this user use it?)',
    );
  });

  it('image-render: python3 without Pillow → python3.12 but no image-render', async () => {
    tool(
      'python3',
      `case "$1" in
  --version) echo "Python 3.12.3" ;;
  *) echo "Traceback (most recent call last):" >&2; echo "ModuleNotFoundError: No module named 'PIL'" >&2; exit 1 ;;
esac`,
    );
    expect(await tagsOf(env())).toEqual(['linux', 'python3.12']);
    expect(await absentReason(env(), 'image-render')).toBe(
      `${bin}/python3 cannot import PIL (Pillow): exited 1: ModuleNotFoundError: No module named 'PIL'`,
    );
  });

  it('runtimes: a binary that prints no version gives no tag; only the first one on PATH counts', async () => {
    tool('node', 'echo "not node"');
    const later = join(base, 'bin2');
    mkdirSync(later);
    tool('node', 'echo v22.3.0', later);
    tool('go', 'exit 3');
    const environment = { ...env(), env: { PATH: `${bin}:${later}` } };
    expect(await tagsOf(environment)).toEqual(['linux']);
    expect(await absentReason(environment, 'node*')).toBe(
      `${bin}/node --version printed "not node", not a version`,
    );
    expect(await absentReason(environment, 'go')).toBe(`${bin}/go version exited 3`);
  });

  it('runtimes: a non-executable file on PATH is not a tool; relative PATH entries are ignored', async () => {
    writeFileSync(join(bin, 'node'), '#!/bin/sh\necho v24.1.0\n', { mode: 0o644 });
    expect(await tagsOf({ ...env(), env: { PATH: `.:${bin}:relative/bin` } })).toEqual(['linux']);
  });

  it('a tool that hangs is given up on after the timeout and counts as absent', async () => {
    tool('rustc', 'exec /bin/sleep 60');
    const environment = { ...env(), timeoutMs: 200 };
    expect(await tagsOf(environment)).toEqual(['linux']);
    expect(await absentReason(environment, 'rust')).toBe(`${bin}/rustc --version timed out or was killed`);
  });

  it('probe commands see only the given environment, never this process’s', async () => {
    process.env.COLIBRI_PROBE_LEAK = '7';
    try {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion in the fake tool
      tool('node', 'echo "v${FAKE_NODE_MAJOR:-0}${COLIBRI_PROBE_LEAK}.1.0"');
      expect(await tagsOf(env({ FAKE_NODE_MAJOR: '24' }))).toEqual(['linux', 'node24']);
    } finally {
      delete process.env.COLIBRI_PROBE_LEAK;
    }
  });

  it('gpu: nvidia-smi failing, but a DRM render node → gpu from the render node', async () => {
    tool(
      'nvidia-smi',
      'echo "NVIDIA-SMI has failed because it could not communicate with the driver." ; exit 9',
    );
    file(join(root, 'dev/dri/renderD128'));
    expect(await probeCapabilities(env())).toContainEqual({
      tag: 'gpu',
      evidence: `DRM render node ${root}/dev/dri/renderD128`,
    });
  });

  it('gpu: nvidia-smi listing no GPU and no render node → absent with both reasons', async () => {
    tool('nvidia-smi', 'echo "No devices were found"');
    file(join(root, 'dev/dri/card0'));
    expect(await absentReason(env(), 'gpu')).toBe(
      `${bin}/nvidia-smi -L listed no GPU; no render node in ${root}/dev/dri`,
    );
  });

  it('zfs: needs /dev/zfs, the zfs tool and a pool', async () => {
    tool('zfs', '[ "$1" = list ] && echo zroot');
    expect(await absentReason(env(), 'zfs')).toBe(`no ${root}/dev/zfs`);
    file(join(root, 'dev/zfs'));
    expect(await tagsOf(env())).toContain('zfs');
    tool('zfs', 'exit 0');
    expect(await absentReason(env(), 'zfs')).toBe(`${bin}/zfs list shows no pool`);
    rmSync(join(bin, 'zfs'));
    expect(await absentReason(env(), 'zfs')).toBe(`${root}/dev/zfs exists but no zfs on PATH`);
  });

  it('display: DISPLAY without its socket is no display', async () => {
    tool('scrot', 'exit 0');
    expect(await tagsOf(env({ DISPLAY: ':1' }))).toEqual(['linux']);
    expect(await absentReason(env({ DISPLAY: ':1' }), 'gui')).toBe(
      `no display: DISPLAY=:1 but no X socket at ${root}/tmp/.X11-unix/X1; WAYLAND_DISPLAY is not set`,
    );
    // A regular file where the socket should be does not count either.
    file(join(root, 'tmp/.X11-unix/X1'));
    expect(await tagsOf(env({ DISPLAY: ':1' }))).toEqual(['linux']);
  });

  it('display: a remote DISPLAY is not probed', async () => {
    expect(await absentReason(env({ DISPLAY: 'localhost:10.0' }), 'gui')).toBe(
      'no display: DISPLAY=localhost:10.0 is not a local display (:N); remote displays are not probed; WAYLAND_DISPLAY is not set',
    );
  });

  it('display: an X11 display without a capture tool is gui but not screenshot', async () => {
    await socketAt(join(root, 'tmp/.X11-unix/X0'));
    expect(await tagsOf(env({ DISPLAY: ':0.0' }))).toEqual(['linux', 'gui']);
    expect(await absentReason(env({ DISPLAY: ':0.0' }), 'screenshot')).toBe(
      'a display but no capture tool on PATH (grim, scrot, maim, import, xwd)',
    );
    tool('import', 'exit 0');
    expect(await probeCapabilities(env({ DISPLAY: ':0.0' }))).toContainEqual({
      tag: 'screenshot',
      evidence: `an X11 display and ${bin}/import`,
    });
  });

  it('display: WAYLAND_DISPLAY needs XDG_RUNTIME_DIR and a real socket there', async () => {
    expect(await absentReason(env({ WAYLAND_DISPLAY: 'wayland-0' }), 'wayland')).toBe(
      'WAYLAND_DISPLAY=wayland-0 but XDG_RUNTIME_DIR is not set to an absolute path',
    );
    const runtime = join(base, 'run');
    expect(
      await absentReason(env({ WAYLAND_DISPLAY: 'wayland-0', XDG_RUNTIME_DIR: runtime }), 'wayland'),
    ).toBe(`WAYLAND_DISPLAY=wayland-0 but no Wayland socket at ${runtime}/wayland-0`);
    await socketAt(join(runtime, 'wayland-0'));
    expect(await tagsOf(env({ WAYLAND_DISPLAY: 'wayland-0', XDG_RUNTIME_DIR: runtime }))).toEqual([
      'linux',
      'gui',
      'wayland',
    ]);
  });

  it('freebsd: jail(8) and not jailed → freebsd-jail; a jail without child jails → not', async () => {
    tool('jail', 'exit 0');
    tool('sysctl', 'case "$2" in security.jail.jailed) echo 0 ;; *) exit 1 ;; esac');
    const freebsd: ProbeEnvironment = { ...env(), platform: 'freebsd' };
    expect(await probeCapabilities(freebsd)).toEqual([
      { tag: 'freebsd', evidence: 'the platform is freebsd' },
      { tag: 'freebsd-jail', evidence: `${bin}/jail present and this host is not itself jailed` },
    ]);
    tool('sysctl', 'case "$2" in security.jail.jailed) echo 1 ;; security.jail.children.max) echo 0 ;; esac');
    expect(await absentReason(freebsd, 'freebsd-jail')).toBe(
      'this host is itself a jail that may not create child jails (security.jail.children.max is 0)',
    );
    tool('sysctl', 'case "$2" in security.jail.jailed) echo 1 ;; security.jail.children.max) echo 4 ;; esac');
    expect(await tagsOf(freebsd)).toEqual(['freebsd', 'freebsd-jail']);
    rmSync(join(bin, 'jail'));
    expect(await absentReason(freebsd, 'freebsd-jail')).toBe('no jail(8) on PATH (is /usr/sbin on PATH?)');
  });

  it('never throws: an injected runner that throws only makes tags absent', async () => {
    tool('python3', PYTHON);
    tool('ffmpeg', 'echo "ffmpeg version 6"');
    const report = await explainCapabilities({
      ...env(),
      run: async () => {
        throw new Error('spawn EACCES');
      },
    });
    expect(report.tags.map((entry) => entry.tag)).toEqual(['linux']);
    expect(report.absent.find((entry) => entry.tag === 'ffmpeg')?.reason).toBe(
      `${bin}/ffmpeg -version could not be started`,
    );
  });

  it('passes argv arrays and the timeout to an injected runner', async () => {
    tool('node', 'exit 0');
    const calls: Array<[string, readonly string[], number]> = [];
    await probeCapabilities({
      ...env(),
      timeoutMs: 1234,
      run: async (file, args, options) => {
        calls.push([file, args, options.timeoutMs]);
        return { exitCode: 0, stdout: 'v20.20.2', stderr: '' };
      },
    });
    expect(calls).toEqual([[`${bin}/node`, ['--version'], 1234]]);
  });
});
