import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A throw-away PostgreSQL server for tests, reachable only through a Unix socket in its own temp dir. */
export interface TestPostgres {
  /** Directory of the server's Unix socket (the libpq `host`). */
  readonly socketDir: string;
  /** Port number (names the socket file; no TCP listener is opened). */
  readonly port: number;
  /** Superuser name. */
  readonly user: string;
  /** A URL for database `name` on this server. */
  url(database?: string): string;
  /** Creates an empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server and removes its files. */
  stop(): Promise<void>;
}

/** Finds initdb/pg_ctl: `$PG_BIN`, then the newest /usr/lib/postgresql/N/bin, then PATH. */
export function findPostgresBinaries(env: NodeJS.ProcessEnv = process.env): string {
  const candidates: string[] = [];
  if (env.PG_BIN) candidates.push(env.PG_BIN);
  if (existsSync('/usr/lib/postgresql')) {
    const versions = readdirSync('/usr/lib/postgresql')
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => `/usr/lib/postgresql/${v}/bin`));
  }
  for (const dir of (env.PATH ?? '').split(':')) if (dir) candidates.push(dir);
  const found = candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')));
  if (!found) {
    throw new Error(
      'PostgreSQL server binaries (initdb, pg_ctl) not found: run `sh scripts/setup.sh --with-postgres` ' +
        '(Debian: apt-get install postgresql) or set PG_BIN to their directory',
    );
  }
  return found;
}

/**
 * Starts a private PostgreSQL cluster in a temp directory. initdb refuses to run as root, so as
 * root the server runs as the `postgres` system user (created by Debian's package) via setpriv.
 */
export async function startTestPostgres(
  options: {
    port?: number;
    /** Extra server settings (`-c name=value`), e.g. `{ shared_preload_libraries: 'pg_stat_statements' }` for a benchmark. */
    settings?: Readonly<Record<string, string>>;
  } = {},
): Promise<TestPostgres> {
  const bin = findPostgresBinaries();
  const base = mkdtempSync(join(tmpdir(), 'colibri-pg-'));
  const dataDir = join(base, 'data');
  const socketDir = join(base, 'sock');
  const logDir = join(base, 'log');
  for (const dir of [dataDir, socketDir, logDir]) mkdirSync(dir);
  const port = options.port ?? 20_000 + Math.floor(Math.random() * 40_000);
  const asRoot = userInfo().uid === 0;
  let prefix: string[] = [];
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chmodSync(base, 0o755);
    for (const dir of [dataDir, socketDir, logDir]) chownSync(dir, uid, gid);
    prefix = ['setpriv', '--reuid=postgres', '--regid=postgres', '--init-groups'];
  }
  const exec = async (file: string, args: string[]) => {
    const [cmd, ...rest] = [...prefix, join(bin, file), ...args];
    await run(cmd!, rest, { env: { ...process.env, LC_ALL: 'C' } });
  };
  const user = 'postgres';
  await exec('initdb', ['-D', dataDir, '-U', user, '--auth=trust', '-E', 'UTF8', '--no-sync']);
  await exec('pg_ctl', [
    '-D',
    dataDir,
    '-l',
    join(logDir, 'server.log'),
    '-w',
    '-o',
    [
      `-k ${socketDir} -p ${port} -c listen_addresses='' -c fsync=off -c max_connections=200`,
      ...Object.entries(options.settings ?? {}).map(([name, value]) => `-c ${name}=${value}`),
    ].join(' '),
    'start',
  ]);
  const url = (database = 'postgres') =>
    `postgresql://${user}@/${database}?host=${encodeURIComponent(socketDir)}&port=${port}`;
  return {
    socketDir,
    port,
    user,
    url,
    async createDatabase(name: string) {
      const pg = (await import('pg')).default;
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        await client.query(`create database "${name.replace(/"/g, '')}"`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    async stop() {
      await exec('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']).catch(() => {});
      rmSync(base, { recursive: true, force: true });
    },
  };
}
