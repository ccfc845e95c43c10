import type { CategoryProbe } from './probe-context.js';

/** `linux` / `freebsd` from the platform the agent runs on. */
export const probeOs: CategoryProbe = async ({ platform }) => {
  const found = [];
  const absent = [];
  for (const os of ['linux', 'freebsd'] as const) {
    if (platform === os) found.push({ tag: os, evidence: `the platform is ${platform}` });
    else absent.push({ tag: os, reason: `the platform is ${platform}` });
  }
  return { found, absent };
};
