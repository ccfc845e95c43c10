import type { DestroyReport, RollbackAction, SpawnReport, StepReport } from '@colibri/join';

const MARKS = { done: '✓', skipped: '–', failed: '✗' } as const;
/** Wide enough for the longest step name (`wait-registered`, `activate-tenant`). */
const STEP_WIDTH = 16;

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2).padStart(6)} s`;
}

/** One finished step: `✓ create-jail        0.04 s  jail acme created (uid 470001)` (`–` skipped, `✗` failed). */
export function formatStepLine(report: StepReport<string>): string {
  return `${MARKS[report.status]} ${report.step.padEnd(STEP_WIDTH)}${seconds(report.durationMs)}  ${report.detail}`;
}

/** One rollback action: `↩ destroy jail: jail acme destroyed`, or loudly `✗ rollback FAILED: …`. */
export function formatRollbackLine(action: RollbackAction): string {
  return action.status === 'done'
    ? `↩ rolled back ${action.action}: ${action.detail}`
    : `✗ rollback FAILED: ${action.action}: ${action.detail}`;
}

/** The last line, on stdout. */
export function formatSpawnSummary(report: SpawnReport): string {
  const where = `tenant ${report.tenant}, jail ${report.jail} (${report.driver}), agent id ${report.agentId}`;
  switch (report.outcome) {
    case 'spawned':
      return `agent ${report.agentName} joined the hive: ${where}`;
    case 'repaired':
      return `agent ${report.agentName} repaired and back in the hive: ${where}`;
    default:
      return `agent ${report.agentName} is already healthy, nothing changed: ${where}`;
  }
}

export function formatDestroySummary(report: DestroyReport): string {
  return report.outcome === 'absent'
    ? `agent ${report.agentName}: nothing to tear down (no registration, no jail ${report.jail}); tenant ${report.tenant}`
    : `agent ${report.agentName} torn down: retired, jail ${report.jail} destroyed; tenant ${report.tenant} is pending`;
}

/**
 * What a failed spawn adds before the error line: the agent's last log lines (secrets withheld)
 * or every failed preflight check with its fix. Empty for anything else.
 */
export function formatFailureContext(error: unknown): string {
  const details = (error as { details?: { causeDetails?: unknown } } | undefined)?.details;
  const cause = (details?.causeDetails ?? {}) as {
    logTail?: unknown;
    logPath?: unknown;
    checks?: unknown;
  };
  const lines: string[] = [];
  if (Array.isArray(cause.logTail) && cause.logTail.length > 0) {
    lines.push(`  the agent's last log lines (${String(cause.logPath)}):`);
    for (const line of cause.logTail) lines.push(`  | ${String(line)}`);
  }
  if (Array.isArray(cause.checks)) {
    for (const check of cause.checks as { name?: unknown; ok?: unknown; detail?: unknown; fix?: unknown }[]) {
      if (check.ok === true) continue;
      const fix = typeof check.fix === 'string' ? ` — fix: ${check.fix}` : '';
      lines.push(`  ✗ ${String(check.name)}: ${String(check.detail)}${fix}`);
    }
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
