import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expectedToolNames } from '@colibri/mcp/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  COLIBRI_BIN,
  cleanEnv,
  type Hive,
  startHive,
  startTcpBridge,
} from './testing/colibri-process.test-helper.js';

// The MCP inspector's headless CLI mode against `colibri mcp` (stdio) and colibrid's /mcp (HTTP):
// a third-party client, configured the way the README tells people to.
//
// @modelcontextprotocol/inspector 2.12.0 declares engines node >= 22.19 (and pulls commander 15,
// undici 8 that do too), so the workspace's engineStrict refuses it as a dependency. Its --cli mode
// runs on Node 20 all the same: it is installed once, outside the workspace, with npm from the
// registry (a minute; cached in node_modules/.cache), and run from there.

const VERSION = '2.12.0';
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PREFIX = join(ROOT, 'node_modules', '.cache', `mcp-inspector-${VERSION}`);
const INSPECTOR = join(
  PREFIX,
  'node_modules',
  '@modelcontextprotocol',
  'inspector',
  'clients',
  'launcher',
  'build',
  'index.js',
);

function run(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  timeout: number,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { env, encoding: 'utf8', timeout, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) =>
        resolve({
          status: error === null ? 0 : typeof error.code === 'number' ? error.code : null,
          stdout,
          stderr,
        }),
    );
  });
}

async function ensureInspector(): Promise<void> {
  if (existsSync(INSPECTOR)) return;
  mkdirSync(PREFIX, { recursive: true });
  const npm = await run(
    'npm',
    [
      'install',
      '--prefix',
      PREFIX,
      '--no-audit',
      '--no-fund',
      '--no-save',
      '--loglevel=error',
      `@modelcontextprotocol/inspector@${VERSION}`,
    ],
    { ...process.env, npm_config_engine_strict: 'false' },
    300_000,
  );
  if (!existsSync(INSPECTOR)) {
    throw new Error(
      `could not install @modelcontextprotocol/inspector@${VERSION} with npm (exit ${npm.status}):\n${npm.stderr}`,
    );
  }
}

describe('the MCP inspector (--cli, headless)', () => {
  let hive: Hive;
  let bridge: { url: string; close(): Promise<void> };
  let scratch: string;

  /** `inspector --cli ...args`, its JSON answer parsed; fails the test on a non-zero exit. */
  async function inspector(args: readonly string[]): Promise<Record<string, unknown>> {
    const result = await run(
      process.execPath,
      [INSPECTOR, '--cli', ...args],
      cleanEnv({ HOME: scratch, MCP_CATALOG_PATH: join(scratch, 'mcp.json') }),
      60_000,
    );
    if (result.status !== 0)
      throw new Error(`inspector exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
    return JSON.parse(result.stdout) as Record<string, unknown>;
  }

  beforeAll(async () => {
    await ensureInspector();
    scratch = mkdtempSync(join(tmpdir(), 'colibri-inspector-'));
    hive = await startHive();
    bridge = await startTcpBridge(hive.socket);
  }, 360_000);
  afterAll(async () => {
    await bridge?.close();
    await hive?.stop();
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  });

  it('lists and calls the tools of `colibri mcp` over stdio', async () => {
    const stdio = [process.execPath, COLIBRI_BIN, 'mcp', '-e', `COLIBRI_HOME=${hive.home}`];
    const listed = await inspector([...stdio, '--method', 'tools/list']);
    expect((listed.tools as { name: string }[]).map((t) => t.name)).toEqual(expectedToolNames());
    const called = await inspector([
      ...stdio,
      '--method',
      'tools/call',
      '--tool-name',
      'submit_task',
      '--tool-arg',
      'title=render the hive logo',
      'requires=["image-render"]',
    ]);
    expect(called.structuredContent).toMatchObject({
      task: { title: 'render the hive logo', status: 'parked' },
      assignedTo: null,
    });
  });

  it("lists and calls colibrid's /mcp over HTTP with the bearer header", async () => {
    const http = [
      `${bridge.url}/mcp`,
      '--transport',
      'http',
      '--header',
      `Authorization: Bearer ${hive.operatorToken}`,
    ];
    const listed = await inspector([...http, '--method', 'tools/list']);
    expect((listed.tools as { name: string }[]).map((t) => t.name)).toContain('explain_task');
    const status = await inspector([...http, '--method', 'tools/call', '--tool-name', 'get_status']);
    expect(status.structuredContent).toMatchObject({
      driver: 'sqlite',
      tasks: { parked: expect.any(Number) },
    });
  });
});
