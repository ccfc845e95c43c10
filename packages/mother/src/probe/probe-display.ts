import { isAbsolute, join } from 'node:path';
import type { CategoryProbe, ProbeContext } from './probe-context.js';
import type { AbsentTag, ProbedTag } from './probe-environment.js';

const X11_SCREENSHOT_TOOLS = ['scrot', 'maim', 'import', 'xwd'];
const WAYLAND_SCREENSHOT_TOOLS = ['grim'];

/** A local X11 display whose socket really exists: `DISPLAY=:0` → `<root>/tmp/.X11-unix/X0`. */
async function findX11(context: ProbeContext): Promise<{ evidence: string } | { reason: string }> {
  const display = context.env.DISPLAY;
  if (display === undefined || display === '') return { reason: 'DISPLAY is not set' };
  const local = /^(?:unix)?:(\d+)(?:\.\d+)?$/.exec(display);
  if (local === null) {
    return { reason: `DISPLAY=${display} is not a local display (:N); remote displays are not probed` };
  }
  const socket = context.rooted(`/tmp/.X11-unix/X${local[1]}`);
  if ((await context.kind(socket)) !== 'socket')
    return { reason: `DISPLAY=${display} but no X socket at ${socket}` };
  return { evidence: `DISPLAY=${display} and the X socket ${socket} exists` };
}

/** A Wayland compositor socket: `$XDG_RUNTIME_DIR/$WAYLAND_DISPLAY` (or an absolute WAYLAND_DISPLAY). */
async function findWayland(context: ProbeContext): Promise<{ evidence: string } | { reason: string }> {
  const name = context.env.WAYLAND_DISPLAY;
  if (name === undefined || name === '') return { reason: 'WAYLAND_DISPLAY is not set' };
  const runtimeDir = context.env.XDG_RUNTIME_DIR;
  if (!isAbsolute(name) && (runtimeDir === undefined || !isAbsolute(runtimeDir))) {
    return { reason: `WAYLAND_DISPLAY=${name} but XDG_RUNTIME_DIR is not set to an absolute path` };
  }
  const socket = isAbsolute(name) ? name : join(runtimeDir as string, name);
  if ((await context.kind(socket)) !== 'socket') {
    return { reason: `WAYLAND_DISPLAY=${name} but no Wayland socket at ${socket}` };
  }
  return { evidence: `WAYLAND_DISPLAY=${name} and the socket ${socket} exists` };
}

async function firstTool(context: ProbeContext, names: readonly string[]): Promise<string | undefined> {
  for (const name of names) {
    const file = await context.which(name);
    if (file !== undefined) return file;
  }
  return undefined;
}

/**
 * Display tags, only when a display is really there (its socket exists, not merely a variable):
 * `gui` (an X11 or Wayland session), `wayland`, and `screenshot` (a display plus a capture tool:
 * grim on Wayland; scrot, maim, ImageMagick import or xwd on X11).
 */
export const probeDisplay: CategoryProbe = async (context) => {
  const found: ProbedTag[] = [];
  const absent: AbsentTag[] = [];
  const [x11, wayland] = await Promise.all([findX11(context), findWayland(context)]);

  if ('evidence' in x11) found.push({ tag: 'gui', evidence: x11.evidence });
  else if ('evidence' in wayland) found.push({ tag: 'gui', evidence: wayland.evidence });
  else absent.push({ tag: 'gui', reason: `no display: ${x11.reason}; ${wayland.reason}` });

  if ('evidence' in wayland) found.push({ tag: 'wayland', evidence: wayland.evidence });
  else absent.push({ tag: 'wayland', reason: wayland.reason });

  const waylandTool = 'evidence' in wayland ? await firstTool(context, WAYLAND_SCREENSHOT_TOOLS) : undefined;
  const x11Tool = 'evidence' in x11 ? await firstTool(context, X11_SCREENSHOT_TOOLS) : undefined;
  if (waylandTool !== undefined) {
    found.push({ tag: 'screenshot', evidence: `a Wayland display and ${waylandTool}` });
  } else if (x11Tool !== undefined) {
    found.push({ tag: 'screenshot', evidence: `an X11 display and ${x11Tool}` });
  } else if (!('evidence' in x11) && !('evidence' in wayland)) {
    absent.push({ tag: 'screenshot', reason: 'no display' });
  } else {
    absent.push({
      tag: 'screenshot',
      reason: `a display but no capture tool on PATH (${[...WAYLAND_SCREENSHOT_TOOLS, ...X11_SCREENSHOT_TOOLS].join(', ')})`,
    });
  }
  return { found, absent };
};
