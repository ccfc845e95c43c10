import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../base-command.js';

/** What `colibri board --json` prints (one line, as soon as the board is reachable). */
export interface BoardInfo {
  /** The board's address (no secret in it). */
  readonly url: string;
  /** The one-time sign-in link: good once, until `expiresAt`. */
  readonly loginUrl: string;
  readonly expiresAt: string;
  /** The socket forwarded to, or null when the daemon was reached over TCP (no forwarder). */
  readonly forwarding: string | null;
  /** Whether a browser was started with the sign-in link. */
  readonly opened: boolean;
}

export default class Board extends BaseCommand<typeof Board> {
  static override summary = 'Open the live board of the hive in a browser (signed in for you).';
  static override description =
    "colibrid serves the board at /board. A browser cannot open the daemon's Unix socket, so this " +
    'listens on 127.0.0.1 only (a free port unless --port), forwards /board (and nothing else) to the ' +
    'socket, prints the URL and opens a one-time sign-in link ($BROWSER, else xdg-open / open): the ' +
    'code in it is exchanged for a session cookie and is never valid again, so no token appears in a ' +
    'URL. It signs in as the token this command presents (the operator token by default; an agent token ' +
    'sees only its tenant). Runs until SIGINT/SIGTERM. With --url (the bridge) no forwarder is needed: ' +
    'it prints and opens the link on that address and exits.';
  static override examples = [
    '<%= config.bin %> board',
    '<%= config.bin %> board --port 9191 --no-open',
    'COLIBRI_TOKEN=<agent-token> <%= config.bin %> board',
    '<%= config.bin %> board --url http://100.64.0.1:9190',
  ];
  static override flags = {
    port: Flags.integer({
      description: 'the loopback port to listen on (0 = a free one)',
      default: 0,
      min: 0,
      max: 65535,
      helpValue: 'PORT',
    }),
    open: Flags.boolean({
      description: 'open the one-time sign-in link in a browser (--no-open prints it instead)',
      default: true,
      allowNo: true,
    }),
  };

  async run(): Promise<void> {
    const config = await this.cliConfig();
    // The code first: a bad token or an unreachable daemon fails here, before anything listens.
    const login = await (await this.client()).createBoardLoginCode();
    const [{ startBoardForwarder }, { openBrowser }, { onStopSignals }] = await Promise.all([
      import('../board/board-forwarder.js'),
      import('../board/open-browser.js'),
      import('../stop-signals.js'),
    ]);
    const { target } = config;
    const forwarder =
      target.kind === 'socket'
        ? await startBoardForwarder({ socketPath: target.socketPath, port: this.flags.port })
        : undefined;
    const origin = forwarder?.origin ?? (target.kind === 'url' ? target.url.replace(/\/+$/, '') : '');
    const loginUrl = `${origin}${login.path}`;
    const browser = this.flags.open ? await openBrowser(loginUrl, process.env, process.platform) : undefined;
    // The sign-in page only has to outlive the browser's first read of it; the code expires in 60 s anyway.
    if (browser !== undefined) setTimeout(() => browser.dispose(), 60_000).unref();
    const opened = browser !== undefined;
    const info: BoardInfo = {
      url: `${origin}/board`,
      loginUrl,
      expiresAt: login.expiresAt,
      forwarding: target.kind === 'socket' ? target.socketPath : null,
      opened,
    };
    if (this.jsonEnabled()) {
      process.stdout.write(`${JSON.stringify(info)}\n`);
    } else {
      this.log(`board: ${info.url}`);
      if (opened) {
        process.stderr.write('colibri: opened a one-time sign-in link in your browser (good for 60 s)\n');
      } else {
        if (this.flags.open) this.warnLine('could not start a browser ($BROWSER, xdg-open or open)');
        this.log(`sign in once with: ${loginUrl}  (good for 60 s; run colibri board again for another)`);
      }
      if (forwarder !== undefined) {
        process.stderr.write(
          `colibri: forwarding 127.0.0.1:${forwarder.port}/board to ${info.forwarding}; Ctrl-C stops it\n`,
        );
      }
    }
    if (forwarder === undefined) return;
    await new Promise<void>((resolve) => {
      const stop = onStopSignals(() => {
        stop();
        resolve();
      });
    });
    await forwarder.close();
  }
}
