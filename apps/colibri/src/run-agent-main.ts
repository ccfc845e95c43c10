#!/usr/bin/env node
// The light entry of `colibri run-agent`, what the linux driver starts in a jail:
// `node dist/run-agent-main.js run-agent FLAGS…`. It runs the very body of the oclif command
// (run-agent-core.ts) without loading oclif, its config or its plugins (in a jail that halves the
// agent's start and its private memory). Whatever it does not fully understand (help, --version, an
// unknown or malformed flag, any other command) goes, argv untouched, to the `colibri` CLI
// (bin/run.js), so every help text and parse error is the CLI's own. Errors are reported exactly
// as the base command's catch() does. Only this file touches argv and the exit code.
import { createRequire } from 'node:module';
import { describeCliError } from './describe-cli-error.js';
import { exitCodeFor } from './exit-codes.js';
import { terminalSafe, terminalSafeJson } from './format/terminal-safe.js';
import { processConfigSources } from './process-config-sources.js';
import { type CliConfig, resolveConfig } from './resolve-config.js';
import { parseRunAgentArgv, type RunAgentInvocation } from './run-agent-argv.js';
import { runAgentCommand } from './run-agent-core.js';

const argv = process.argv.slice(2);
const invocation = argv[0] === 'run-agent' ? parseRunAgentArgv(argv.slice(1), process.env) : undefined;
if (invocation === undefined) {
  // Relative to this file (dist/run-agent-main.js or its bundle dist/run-agent.bundle.cjs, both
  // started by path); bin/run.js reads process.argv itself and sees exactly what `colibri …` would.
  createRequire(process.argv[1] as string)('../bin/run.js');
} else {
  void run(invocation);
}

async function run({ flags, json }: RunAgentInvocation): Promise<void> {
  let config: CliConfig | undefined;
  try {
    config = resolveConfig(flags, processConfigSources(process.env));
    await runAgentCommand(flags, { config, json });
  } catch (error) {
    // Exactly the base command's catch().
    const described = describeCliError(error, { config, argv: argv.slice(1), env: process.env });
    if (json) {
      const envelope = { error: { ...described.toJSON(), message: described.message } };
      process.stdout.write(`${terminalSafeJson(envelope, 2)}\n`);
    } else {
      const line = `colibri: ${described.message} [${described.code}]`;
      process.stderr.write(`${terminalSafe(line.endsWith('\n') ? line.slice(0, -1) : line)}\n`);
    }
    process.exit(exitCodeFor(described.code));
  }
}
