import { join, resolve } from 'node:path';
import { ColibriError } from '@colibri/errors';
import { colibriPaths } from '@colibri/protocol';
import { DEFAULT_SPAWN_POLICY } from '@colibri/spawn-policy';
import {
  type AgentIdentity,
  IDENTITY_FIELDS,
  type IdentityField,
  type IdentityOrigin,
  type ResolvedIdentity,
} from './agent-identity.js';
import type { IdentityLayerValues } from './identity-layer-schema.js';
import { readIdentityFiles } from './read-identity-files.js';
import { validateIdentityLayer } from './validate-identity-layer.js';

/**
 * Identity values given on the command line: the same fields and forms as a layer file. Values
 * are validated like a file's; undefined means "not given".
 */
export type IdentityFlags = { readonly [K in IdentityField]?: unknown };

/** What {@link resolveIdentity} needs; the app passes everything (no environment is read here). */
export interface ResolveIdentityOptions {
  /** The identity directory with the layer files; null = defaults and flags only. */
  readonly directory: string | null;
  /** The flag layer, strongest. */
  readonly flags: IdentityFlags;
  /** Where defaults are anchored: the agent's home directory and `COLIBRI_HOME`. */
  readonly defaults: { readonly home: string; readonly colibriHome: string };
  /** The directory relative flag paths are resolved against; without it they must be absolute. */
  readonly cwd?: string;
  /** How to name a field's flag in messages (`handlersDir` → `--handlers`). */
  readonly flagNames?: Readonly<Partial<Record<IdentityField, string>>>;
}

const DEFAULT_ROLE = 'worker';
const DEFAULT_HEARTBEAT_SECONDS = 10;

function invalid(message: string, field: IdentityField, origin: IdentityOrigin | undefined): ColibriError {
  return new ColibriError('COLIBRI_IDENTITY_INVALID', message, {
    field,
    ...(origin === undefined ? {} : { layer: origin.layer }),
    ...(origin?.file === undefined ? {} : { file: origin.file }),
  });
}

function describeOrigin(origin: IdentityOrigin): string {
  return origin.file === undefined ? `the ${origin.layer} layer` : origin.file;
}

function checkRelativeFlagPaths(flags: IdentityFlags, options: ResolveIdentityOptions): void {
  if (options.cwd !== undefined) return;
  const daemon = flags.daemon as { socketPath?: unknown } | undefined;
  const paths: Array<[IdentityField, unknown]> = [
    ['handlersDir', flags.handlersDir],
    ['envFile', flags.envFile],
    ['stateDir', flags.stateDir],
    ['daemon', daemon?.socketPath],
  ];
  for (const [field, value] of paths) {
    if (typeof value === 'string' && value !== '' && !value.startsWith('/')) {
      throw invalid(
        `${options.flagNames?.[field] ?? field} ${JSON.stringify(value)} is relative and no working directory was given: pass an absolute path`,
        field,
        { layer: 'flag' },
      );
    }
  }
}

/**
 * Resolves an agent's identity from its layers, later ones winning field by field:
 * built-in defaults < image < host < tenant < agent (files in `directory`) < flags.
 *
 * Layer files are `<directory>/{image,host,tenant,agent}.{yaml,yml,json}`; each is validated on
 * its own (unknown keys, bad values: `COLIBRI_IDENTITY_INVALID` naming the file and field), and
 * relative paths in it are resolved against the file's directory. A layer replaces a field whole
 * (`daemon`, `spawnPolicy`, capability lists are not merged across layers).
 *
 * Defaults: role `worker`, tenant null (shared lane), capabilities null (advertise what the probe
 * finds), no forced tags, handlersDir `<home>/handlers`, daemon `<colibriHome>/colibri.sock`,
 * slots 1, envFile `<home>/.env`, stateDir `<home>/.colibri/agents/<name>`, heartbeat
 * every 10 s, and a spawn policy that forbids everything. `name` has no default.
 */
export async function resolveIdentity(options: ResolveIdentityOptions): Promise<ResolvedIdentity> {
  const home = resolve(options.defaults.home);
  const values: IdentityLayerValues = {
    tenant: null,
    role: DEFAULT_ROLE,
    capabilities: null,
    forceCapabilities: Object.freeze([]),
    handlersDir: join(home, 'handlers'),
    daemon: Object.freeze({ socketPath: colibriPaths(resolve(options.defaults.colibriHome)).socket }),
    slots: 1,
    envFile: join(home, '.env'),
    heartbeatSeconds: DEFAULT_HEARTBEAT_SECONDS,
    spawnPolicy: DEFAULT_SPAWN_POLICY,
  };
  const origins = {} as Record<IdentityField, IdentityOrigin>;
  for (const field of IDENTITY_FIELDS) origins[field] = Object.freeze({ layer: 'default' });

  const apply = (layerValues: IdentityLayerValues, origin: IdentityOrigin) => {
    for (const field of IDENTITY_FIELDS) {
      if (!(field in layerValues) || layerValues[field] === undefined) continue;
      (values as Record<string, unknown>)[field] = layerValues[field];
      origins[field] = Object.freeze({ ...origin });
    }
  };

  if (options.directory !== null) {
    const directory = resolve(options.directory);
    for (const { layer, file, raw } of await readIdentityFiles(directory)) {
      apply(validateIdentityLayer(raw, { layer, file, baseDir: directory }), { layer, file });
    }
  }

  checkRelativeFlagPaths(options.flags, options);
  const flagNames = options.flagNames ?? {};
  apply(
    validateIdentityLayer(options.flags as Record<string, unknown>, {
      layer: 'flag',
      baseDir: options.cwd ?? '/',
      label: (field) => flagNames[field.split('.')[0] as IdentityField] ?? field,
    }),
    { layer: 'flag' },
  );

  const { name } = values;
  if (name === undefined) {
    throw invalid(
      `no layer sets the agent's name: add \`name: <agent-name>\` to ${
        options.directory === null
          ? 'an identity file (agent.yaml)'
          : join(resolve(options.directory), 'agent.yaml')
      } or pass ${flagNames.name ?? 'the name flag'}`,
      'name',
      undefined,
    );
  }
  if (values.stateDir === undefined) values.stateDir = join(home, '.colibri', 'agents', name);

  const force = values.forceCapabilities ?? [];
  if (force.length > 0) {
    if (values.capabilities === null || values.capabilities === undefined) {
      throw invalid(
        `forceCapabilities (set in ${describeOrigin(origins.forceCapabilities)}) only applies to declared capabilities, ` +
          'but capabilities is not declared (the probe decides): declare capabilities or drop forceCapabilities',
        'forceCapabilities',
        origins.forceCapabilities,
      );
    }
    const declared = values.capabilities;
    const stray = force.filter((tag) => !declared.includes(tag));
    if (stray.length > 0) {
      throw invalid(
        `forceCapabilities (set in ${describeOrigin(origins.forceCapabilities)}) lists ${stray.join(', ')}, ` +
          `which capabilities (set in ${describeOrigin(origins.capabilities)}) does not declare: ` +
          'forced tags must also be declared',
        'forceCapabilities',
        origins.forceCapabilities,
      );
    }
  }

  const identity = Object.freeze({ ...values, name }) as AgentIdentity;
  return Object.freeze({ identity, origins: Object.freeze(origins) });
}
