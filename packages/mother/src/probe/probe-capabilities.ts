import { createProbeContext } from './probe-context.js';
import { probeDisplay } from './probe-display.js';
import type { ProbedTag, ProbeEnvironment, ProbeReport } from './probe-environment.js';
import { probeHardware } from './probe-hardware.js';
import { probeIsolation } from './probe-isolation.js';
import { probeMedia } from './probe-media.js';
import { probeOs } from './probe-os.js';
import { probeRuntimes } from './probe-runtimes.js';

// In vocabulary order (OS, isolation, display, hardware, runtime, media), so output is stable.
const CATEGORIES = [probeOs, probeIsolation, probeDisplay, probeHardware, probeRuntimes, probeMedia];

/**
 * Probes what this host can truly advertise and why, and what it cannot and why not. Categories
 * run concurrently; each command has a timeout. Never throws for a missing or broken tool: that
 * tag is simply absent, with the reason.
 */
export async function explainCapabilities(environment: ProbeEnvironment): Promise<ProbeReport> {
  const context = createProbeContext(environment);
  const outcomes = await Promise.all(CATEGORIES.map((probe) => probe(context)));
  return {
    tags: outcomes.flatMap((outcome) => outcome.found),
    absent: outcomes.flatMap((outcome) => outcome.absent),
  };
}

/** The tags this host can truly advertise, each with its evidence. See {@link explainCapabilities}. */
export async function probeCapabilities(environment: ProbeEnvironment): Promise<ProbedTag[]> {
  return [...(await explainCapabilities(environment)).tags];
}
