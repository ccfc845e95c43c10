// The files an operator installs, checked as far as this Linux machine can: rc.d scripts parse
// (`sh -n`) and their start logic runs under a stand-in for FreeBSD's rc.subr; systemd units pass
// `systemd-analyze verify`, and the bridge's guard refuses every-interface addresses.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const here = new URL('..', import.meta.url).pathname;
const rcDir = join(here, 'freebsd/rc.d');
const unitDir = join(here, 'linux/systemd');
const scratch = mkdtempSync(join(tmpdir(), 'colibri-packaging-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * Enough of FreeBSD's rc.subr to run a script's `start`: load_rc_config reads a test rc.conf,
 * checkyesno behaves like the real one, and run_rc_command runs start_precmd, then prints the
 * command line daemon(8) would be given instead of starting it.
 */
const RC_SUBR = `
load_rc_config() { . "$RC_CONF"; }
checkyesno() { eval "_v=\\\${$1}"; case "$_v" in [Yy][Ee][Ss]|[Tt][Rr][Uu][Ee]|[Oo][Nn]|1) return 0;; *) return 1;; esac; }
install() { :; }
touch() { :; }
chown() { :; }
chmod() { :; }
run_rc_command() {
  if [ -n "\${start_precmd:-}" ]; then "\${start_precmd}" || exit 1; fi
  echo "$command $command_args"
  echo "env COLIBRI_DATABASE_URL=\${COLIBRI_DATABASE_URL:-}"
}
`;

function runRcScript(script: string, rcConf: string) {
  const dir = mkdtempSync(join(scratch, 'rc-'));
  writeFileSync(join(dir, 'rc.subr'), RC_SUBR);
  writeFileSync(join(dir, 'rc.conf'), rcConf);
  const body = readFileSync(join(rcDir, script), 'utf8').replace('. /etc/rc.subr', `. ${dir}/rc.subr`);
  writeFileSync(join(dir, script), body);
  const result = spawnSync('/bin/sh', [join(dir, script), 'start'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', RC_CONF: join(dir, 'rc.conf') },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('FreeBSD rc.d scripts', () => {
  it.each(readdirSync(rcDir))('%s parses (sh -n) and declares PROVIDE/REQUIRE/KEYWORD', (script) => {
    execFileSync('/bin/sh', ['-n', join(rcDir, script)]);
    const text = readFileSync(join(rcDir, script), 'utf8');
    expect(text).toMatch(/^# PROVIDE: \S+/m);
    expect(text).toMatch(/^# REQUIRE: /m);
    expect(text).toMatch(/^# KEYWORD: shutdown$/m);
    expect(text).toContain('run_rc_command "$1"');
  });

  it('colibrid: colibri_enable, supervised by daemon(8), database URL in the environment, never argv', () => {
    const run = runRcScript(
      'colibrid',
      'colibri_enable=YES\ncolibri_home=/var/db/colibri\ncolibri_database_url="postgresql://colibri:s3cret@db/colibri"\n',
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const [commandLine, envLine] = run.stdout.trim().split('\n');
    expect(commandLine).toMatch(
      /^\/usr\/sbin\/daemon -r .*-u colibri \/usr\/local\/bin\/node \/usr\/local\/bin\/colibrid --home \/var\/db\/colibri/,
    );
    expect(commandLine).not.toContain('s3cret');
    expect(envLine).toBe('env COLIBRI_DATABASE_URL=postgresql://colibri:s3cret@db/colibri');
  });

  it('colibri_bridge: socat bound to the configured tailnet address only', () => {
    const run = runRcScript(
      'colibri_bridge',
      'colibri_bridge_enable=YES\ncolibri_bridge_address=100.64.0.1\ncolibri_bridge_port=9190\n',
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(
      'socat TCP-LISTEN:9190,bind=100.64.0.1,reuseaddr,fork UNIX-CONNECT:/var/db/colibri/colibri.sock',
    );
  });

  it.each([
    ['', /set colibri_bridge_address/],
    ['0.0.0.0', /refusing 0\.0\.0\.0/],
    ['::', /refusing ::/],
  ])('colibri_bridge refuses address %j', (address, message) => {
    const run = runRcScript('colibri_bridge', `colibri_bridge_address="${address}"\n`);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
  });

  it('colibri_bridge allows 0.0.0.0 only when forced, and refuses a non-numeric port', () => {
    const forced = runRcScript(
      'colibri_bridge',
      'colibri_bridge_address=0.0.0.0\ncolibri_bridge_force_any=YES\n',
    );
    expect(forced.status).toBe(0);
    expect(forced.stdout).toContain('bind=0.0.0.0');
    const badPort = runRcScript(
      'colibri_bridge',
      'colibri_bridge_address=100.64.0.1\ncolibri_bridge_port=91x\n',
    );
    expect(badPort.status).toBe(1);
    expect(badPort.stderr).toMatch(/must be a number/);
  });
});

describe('Linux systemd units', () => {
  const units = readdirSync(unitDir).filter((name) => name.endsWith('.service'));

  it('ships the daemon, the bridge and the agent template', () => {
    expect(units.sort()).toEqual(['colibri-agent@.service', 'colibri-bridge.service', 'colibrid.service']);
  });

  it.each(units)('%s passes systemd-analyze verify', (unit) => {
    // verify also checks that each Exec binary exists; this machine has no installed colibri, so
    // the binaries are pointed at stand-ins in a scratch copy of all three units (the bridge
    // requires colibrid.service). Everything else is verified as shipped.
    const dir = mkdtempSync(join(scratch, 'unit-'));
    const stub = join(dir, 'stub');
    writeFileSync(stub, '#!/bin/sh\nexit 0\n');
    chmodSync(stub, 0o755);
    for (const name of units) {
      const text = readFileSync(join(unitDir, name), 'utf8').replace(
        /^(Exec\w+=)(\/\S+)/gm,
        (_line, key: string) => `${key}${stub}`,
      );
      writeFileSync(join(dir, name), text);
    }
    const instance = unit.replace('@.', '@test.');
    if (instance !== unit) writeFileSync(join(dir, instance), readFileSync(join(dir, unit)));
    const result = spawnSync('systemd-analyze', ['verify', '--man=no', join(dir, instance)], {
      encoding: 'utf8',
      env: { ...process.env, SYSTEMD_UNIT_PATH: `${dir}:` },
    });
    if (result.error) {
      throw new Error(
        `systemd-analyze is not runnable (${result.error.message}): run 'sh scripts/setup.sh --with-test-tools'`,
      );
    }
    // verify exits 0 on unknown keys and unparsable values: any line naming a unit file is a finding.
    const findings = result.stderr
      .split('\n')
      .filter((line) => units.some((name) => line.includes(name.replace('@.', '@'))));
    expect(findings).toEqual([]);
    expect(result.status).toBe(0);
  });

  it('the bridge unit refuses every-interface and empty addresses before socat starts', () => {
    const text = readFileSync(join(unitDir, 'colibri-bridge.service'), 'utf8');
    const guard = /^ExecStartPre=\/bin\/sh -c '(.*)'$/m.exec(text)?.[1];
    expect(guard).toBeDefined();
    const check = (address: string, port = '9190') =>
      spawnSync('/bin/sh', ['-c', guard ?? 'exit 99'], {
        encoding: 'utf8',
        env: { COLIBRI_BRIDGE_ADDRESS: address, COLIBRI_BRIDGE_PORT: port },
      });
    expect(check('100.64.0.1').status).toBe(0);
    for (const bad of ['', '0.0.0.0', '::', '[::]']) {
      const result = check(bad);
      expect(result.status, `address ${JSON.stringify(bad)}`).toBe(1);
      expect(result.stderr).toContain('COLIBRI_BRIDGE_ADDRESS');
    }
    expect(check('100.64.0.1', '91x').status).toBe(1);
    expect(text).toMatch(
      /^ExecStart=\/usr\/bin\/socat TCP-LISTEN:\$\{COLIBRI_BRIDGE_PORT\},bind=\$\{COLIBRI_BRIDGE_ADDRESS\},/m,
    );
  });

  it('every unit runs as an unprivileged user with a private umask', () => {
    for (const unit of units) {
      const text = readFileSync(join(unitDir, unit), 'utf8');
      expect(text, unit).toMatch(/^User=colibri(-agent)?$/m);
      expect(text, unit).toMatch(/^UMask=0077$/m);
      expect(text, unit).toMatch(/^NoNewPrivileges=yes$/m);
    }
  });
});
