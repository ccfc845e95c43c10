// The invocations people and scripts start most, answered without loading oclif (its config,
// plugins and parser cost several times Node's own start): `--version`, `--help` into a pipe and
// `status`. bin/run.js loads this module as one CommonJS bundle
// (dist/fast-path.bundle.cjs, see scripts/build-fast-path.mjs) and hands everything it declines to
// oclif, which then does exactly what it always did. It declines whatever it does not recognise
// exactly (any other flag, a repeated or valueless one, `--`, COLIBRI_CONTENT_TYPE), so it never has
// to reproduce oclif's parse errors; what it answers, it answers byte for byte as the oclif commands
// do (fast-path.e2e.test.ts runs both and compares).
import { readFileSync } from 'node:fs';
import { arch, platform, release } from 'node:os';
import { join } from 'node:path';
import { isSupported as colorSupported } from 'ansis';

/** What the fast path reads from and writes to; bin/run.js passes the process's own. */
export interface FastPathIo {
  /** The package root (holds package.json and dist/). */
  readonly packageRoot: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Whether stdout is a terminal (oclif then colours and wraps help to its width). */
  readonly stdoutIsTty: boolean;
  writeStdout(text: string): void;
  writeStderr(text: string): void;
  setExitCode(code: number): void;
}

/** Help as oclif renders it into a pipe (80 columns, no colour), written at build time. */
interface RenderedHelp {
  /** Keyed by the argv that asks for it, joined by spaces: `` (none), `--help`, `status --help`. */
  readonly byArgv: Readonly<Record<string, string>>;
}

/**
 * Answers `argv` (without node and the script) when it is one of the hot invocations and returns
 * true; returns false, having written nothing, for everything else. COLIBRI_NO_FAST_PATH=1 turns
 * it off (to compare with oclif).
 */
export async function answerFast(argv: readonly string[], io: FastPathIo): Promise<boolean> {
  if (io.env.COLIBRI_NO_FAST_PATH !== undefined && io.env.COLIBRI_NO_FAST_PATH !== '') return false;
  if (argv.length === 1 && argv[0] === '--version') return answerVersion(io);
  if (argv.length === 0 || argv.at(-1) === '--help') return answerHelp(argv, io);
  if (argv[0] !== 'status') return false;
  // The daemon's commands load the client (node:http…) only now: --version and --help never do.
  const { answerCommand } = await import('./fast-path-commands.js');
  return answerCommand(argv, io);
}

/** `colibri --version`: oclif's user agent line. */
function answerVersion(io: FastPathIo): boolean {
  // oclif calls WSL "wsl"; leave that to it.
  if (platform() === 'linux' && /microsoft/i.test(release())) return false;
  const pjson = JSON.parse(readFileSync(join(io.packageRoot, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
  };
  const cpu = arch() === 'ia32' ? 'x86' : arch();
  io.writeStdout(`${pjson.name}/${pjson.version} ${platform()}-${cpu} node-${process.version}\n`);
  return true;
}

/**
 * `colibri`, `colibri --help`, `colibri COMMAND --help`: the help oclif rendered at build time,
 * only when oclif would render it the same way now: not to a terminal (80 columns), no
 * OCLIF_COLUMNS, no colour (asked of oclif's own `ansis`: FORCE_COLOR, COLORTERM, CI…).
 */
function answerHelp(argv: readonly string[], io: FastPathIo): boolean {
  if (io.stdoutIsTty || io.env.OCLIF_COLUMNS !== undefined || colorSupported()) return false;
  let help: RenderedHelp;
  try {
    help = JSON.parse(readFileSync(join(io.packageRoot, 'dist', 'help.json'), 'utf8')) as RenderedHelp;
  } catch {
    return false;
  }
  const text = Object.hasOwn(help.byArgv, argv.join(' ')) ? help.byArgv[argv.join(' ')] : undefined;
  if (text === undefined) return false;
  io.writeStdout(text);
  return true;
}
