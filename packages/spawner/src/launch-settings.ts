import * as v from 'valibot';

/**
 * What a running agent was started with, as far as a rerun of the join chain compares it with
 * what is asked now: any difference means the agent is reconfigured (restarted with the new
 * settings), never left running with the old ones.
 */
export interface LaunchSettings {
  /** The declared tags (sorted), or null: the agent advertises what its probe finds. */
  readonly capabilities: readonly string[] | null;
  /** The host directory of handlers, as requested (null: `<home>/handlers`). */
  readonly handlersDir: string | null;
  /** The sandbox's network: linux `none` | `host`; bastille `jail` (the jail's own address). */
  readonly network: string;
  /** Which runtime it runs: linux its installation root; bastille its pinned packages. */
  readonly runtime: string;
}

/** The record field both drivers keep the settings of the agent they started in (validated on read). */
export const launchSettingsSchema = v.strictObject({
  capabilities: v.nullable(v.array(v.string())),
  handlersDir: v.nullable(v.string()),
  network: v.string(),
  runtime: v.string(),
});

/** `settings` in the canonical form stored and compared (tags sorted, frozen). */
export function normalizeLaunchSettings(settings: LaunchSettings): LaunchSettings {
  return Object.freeze({
    capabilities: settings.capabilities === null ? null : Object.freeze([...settings.capabilities].sort()),
    handlersDir: settings.handlersDir,
    network: settings.network,
    runtime: settings.runtime,
  });
}

const show = (value: readonly string[] | string | null, none: string) =>
  value === null
    ? none
    : Array.isArray(value)
      ? value.length === 0
        ? 'no tags'
        : value.join(',')
      : String(value);

/**
 * How `running` differs from `wanted`, one phrase per setting (`capabilities linux,echo →
 * echo,gpu,linux`); [] when identical. An agent whose settings are unknown (started before they
 * were recorded) differs in `settings unknown`.
 */
export function launchSettingsChanges(running: LaunchSettings | undefined, wanted: LaunchSettings): string[] {
  const want = normalizeLaunchSettings(wanted);
  if (running === undefined) return ['settings unknown (started by an older colibri)'];
  const was = normalizeLaunchSettings(running);
  const changes: string[] = [];
  if (show(was.capabilities, 'probed') !== show(want.capabilities, 'probed')) {
    changes.push(`capabilities ${show(was.capabilities, 'probed')} → ${show(want.capabilities, 'probed')}`);
  }
  if (was.handlersDir !== want.handlersDir) {
    changes.push(`handlers ${show(was.handlersDir, 'home')} → ${show(want.handlersDir, 'home')}`);
  }
  if (was.network !== want.network) changes.push(`network ${was.network} → ${want.network}`);
  if (was.runtime !== want.runtime) changes.push(`runtime ${was.runtime} → ${want.runtime}`);
  return changes;
}
