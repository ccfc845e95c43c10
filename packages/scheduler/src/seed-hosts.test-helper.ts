import type { SchedulableAgent } from './schedulable-agent.js';

/** The agents registered on 2026-06-19 (seed 003, CAPABILITY-ROUTING.md), all shared lanes. */
export const DOMEDOG: SchedulableAgent = {
  id: 'domedog',
  capabilities: ['linux', 'python3.12', 'rust', 'go', 'node', 'ffmpeg', 'image-render'],
  status: 'idle',
  tenant: null,
  load: 0,
  slots: 4,
};

export const HERMES_DEBBY: SchedulableAgent = {
  id: 'hermes-debby',
  capabilities: ['linux', 'docker', 'shell', 'gateway', 'hermes', 'tailscale'],
  status: 'idle',
  tenant: null,
  load: 0,
  slots: 4,
};

export const HERMES_OSA: SchedulableAgent = {
  id: 'hermes-osa',
  capabilities: ['freebsd', 'shell', 'gateway', 'tailscale', 'rc.d', 'pf', 'nginx', 'acme', 'hermes'],
  status: 'active',
  tenant: null,
  load: 1,
  slots: 4,
};

/** The three headless hosts of the seed. */
export const SEED_HOSTS: readonly SchedulableAgent[] = [DOMEDOG, HERMES_DEBBY, HERMES_OSA];

/** The FreeBSD operator image with its XFCE session: it can take screenshots. */
export const OPERATOR_IMAGE: SchedulableAgent = {
  id: 'operator-image',
  capabilities: ['freebsd', 'python3.11', 'image-render', 'screenshot', 'gui'],
  status: 'idle',
  tenant: null,
  load: 0,
  slots: 4,
};
