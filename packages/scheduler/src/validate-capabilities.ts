import { parseCapabilities } from '@colibri/protocol';

/**
 * Validates a capability list (an agent's lane or a task's requirements) and returns it frozen:
 * lower-case tags, each listed once. The same function as `parseCapabilities` from
 * `@colibri/protocol`, under the name the scheduler's callers look for; it throws
 * `COLIBRI_INVALID_CAPABILITY` naming the first bad tag.
 *
 * Validate at the boundary (registration, task intake); the scheduler itself trusts its input.
 */
export const validateCapabilities: typeof parseCapabilities = parseCapabilities;
