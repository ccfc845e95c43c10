import { isAbsolute, resolve } from 'node:path';
import {
  MAX_AGENT_SLOTS,
  parseAgentName,
  parseCapabilities,
  parseTenantName,
  viaParser,
} from '@colibri/protocol';
import { DEFAULT_SPAWN_POLICY, type SpawnPolicy } from '@colibri/spawn-policy';
import * as v from 'valibot';
import type { AgentIdentity, DaemonAddress } from './agent-identity.js';

/** A role label: lower-case letter, then up to 31 of `[a-z0-9-]`. */
export const ROLE_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;

const MAX_HEARTBEAT_SECONDS = 3600;

/** Where relative paths in a layer are anchored: a file's own directory, or the cwd for flags. */
export interface LayerContext {
  readonly baseDir: string;
}

const integer = (min: number, max: number) =>
  v.pipe(
    v.number(`must be a whole number from ${min} to ${max}`),
    v.integer(`must be a whole number from ${min} to ${max}`),
    v.minValue(min, `must be at least ${min}`),
    v.maxValue(max, `must be at most ${max}`),
  );

const path = (context: LayerContext) =>
  v.pipe(
    v.string('must be a path (a string)'),
    v.nonEmpty('must be a non-empty path'),
    v.check((value) => !value.includes('\0'), 'must not contain a NUL byte'),
    v.transform((value) => (isAbsolute(value) ? resolve(value) : resolve(context.baseDir, value))),
  );

function parseDaemonUrl(input: unknown): string {
  if (typeof input !== 'string') throw new Error('must be a URL (a string)');
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new Error(`${JSON.stringify(input)} is not a URL; use e.g. http://100.64.0.1:9190`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`must be an http:// or https:// URL, got ${url.protocol}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new Error('must not carry credentials; the agent presents its token in a header');
  }
  return url.href.replace(/\/+$/, '');
}

const daemon = (context: LayerContext) =>
  v.pipe(
    v.object(
      {
        socketPath: v.optional(path(context)),
        url: v.optional(viaParser(parseDaemonUrl)),
      },
      'must be a mapping with socketPath or url',
    ),
    v.rawTransform<{ socketPath?: string | undefined; url?: string | undefined }, DaemonAddress>(
      ({ dataset, addIssue, NEVER }) => {
        const { socketPath, url } = dataset.value;
        if ((socketPath === undefined) === (url === undefined)) {
          addIssue({ message: 'set exactly one of socketPath (a Unix socket) or url (http(s)://host:port)' });
          return NEVER;
        }
        return socketPath === undefined ? { url: url as string } : { socketPath };
      },
    ),
  );

const tags = (field: string) =>
  viaParser((value) => Object.freeze([...parseCapabilities(value, field)]) as readonly string[]);

const spawnPolicy = v.pipe(
  v.object(
    {
      maxChildren: v.optional(integer(0, 1000)),
      maxDepth: v.optional(integer(0, 100)),
      allowedTenants: v.optional(
        v.pipe(
          v.array(viaParser(parseTenantName), 'must be a list of tenant names'),
          v.transform((list) => Object.freeze(list) as readonly string[]),
        ),
      ),
      allowSharedLane: v.optional(v.boolean('must be true or false')),
      allowedCapabilities: v.optional(tags('allowedCapabilities')),
    },
    'must be a mapping of maxChildren, maxDepth, allowedTenants, allowSharedLane, allowedCapabilities',
  ),
  // A layer's policy replaces lower ones whole; what it leaves out stays forbidden (fail closed).
  v.transform(
    (policy): SpawnPolicy =>
      Object.freeze({
        maxChildren: policy.maxChildren ?? DEFAULT_SPAWN_POLICY.maxChildren,
        maxDepth: policy.maxDepth ?? DEFAULT_SPAWN_POLICY.maxDepth,
        allowedTenants: policy.allowedTenants ?? DEFAULT_SPAWN_POLICY.allowedTenants,
        allowSharedLane: policy.allowSharedLane ?? DEFAULT_SPAWN_POLICY.allowSharedLane,
        allowedCapabilities: policy.allowedCapabilities ?? DEFAULT_SPAWN_POLICY.allowedCapabilities,
      }),
  ),
);

/** The keys a layer may set, including the nested mappings' keys; see {@link findUnknownKey}. */
export const LAYER_KEYS = Object.freeze({
  top: Object.freeze([
    'name',
    'tenant',
    'role',
    'capabilities',
    'forceCapabilities',
    'handlersDir',
    'daemon',
    'slots',
    'envFile',
    'stateDir',
    'heartbeatSeconds',
    'spawnPolicy',
  ]),
  daemon: Object.freeze(['socketPath', 'url']),
  spawnPolicy: Object.freeze([
    'maxChildren',
    'maxDepth',
    'allowedTenants',
    'allowSharedLane',
    'allowedCapabilities',
  ]),
});

/**
 * The schema of one identity layer (a file, or the flags): every field optional. Unknown keys
 * are refused before it runs ({@link findUnknownKey}), so a typo never silently falls back to
 * a default. Relative paths are resolved against `context.baseDir`.
 */
export function identityLayerSchema(context: LayerContext) {
  return v.object(
    {
      name: v.optional(viaParser(parseAgentName)),
      tenant: v.optional(viaParser((value) => (value === null ? null : parseTenantName(value)))),
      role: v.optional(
        v.pipe(
          v.string('must be a string'),
          v.regex(ROLE_PATTERN, 'must be a lower-case letter then up to 31 of [a-z0-9-], e.g. worker, queen'),
        ),
      ),
      capabilities: v.optional(
        viaParser((value) =>
          value === null
            ? null
            : (Object.freeze([...parseCapabilities(value, 'capabilities')]) as readonly string[]),
        ),
      ),
      forceCapabilities: v.optional(tags('forceCapabilities')),
      handlersDir: v.optional(path(context)),
      daemon: v.optional(daemon(context)),
      slots: v.optional(integer(1, MAX_AGENT_SLOTS)),
      envFile: v.optional(v.nullable(path(context))),
      stateDir: v.optional(path(context)),
      heartbeatSeconds: v.optional(integer(1, MAX_HEARTBEAT_SECONDS)),
      spawnPolicy: v.optional(spawnPolicy),
    },
    'must be a mapping of identity fields (name, tenant, capabilities, ...)',
  );
}

/** The values one layer sets (absent = the layer does not set that field). */
export type IdentityLayerValues = { -readonly [K in keyof AgentIdentity]?: AgentIdentity[K] };

const normalise = (key: string) => key.toLowerCase().replace(/[-_]/g, '');

/** Keys that were renamed: the old spelling is refused with the new one suggested. */
const RENAMED: Readonly<Record<string, string>> = Object.freeze({ concurrency: 'slots' });

function suggest(key: string, known: readonly string[]): string | undefined {
  const renamed = RENAMED[key];
  if (renamed !== undefined && known.includes(renamed)) return renamed;
  const wanted = normalise(key);
  return (
    known.find((candidate) => normalise(candidate) === wanted) ??
    known.find((candidate) => wanted.length >= 3 && normalise(candidate).startsWith(wanted))
  );
}

const isMapping = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The first key of `raw` (or of its `daemon` / `spawnPolicy` mappings) that no layer may set,
 * as a dotted path with the keys allowed there and a suggestion (`handlers_dir` → `handlersDir`).
 */
export function findUnknownKey(
  raw: Record<string, unknown>,
): { field: string; allowed: readonly string[]; suggestion: string | undefined } | undefined {
  const scopes: Array<[string, unknown, readonly string[]]> = [
    ['', raw, LAYER_KEYS.top],
    ['daemon.', raw.daemon, LAYER_KEYS.daemon],
    ['spawnPolicy.', raw.spawnPolicy, LAYER_KEYS.spawnPolicy],
  ];
  for (const [prefix, value, known] of scopes) {
    if (!isMapping(value)) continue;
    const unknown = Object.keys(value).find((key) => !known.includes(key));
    if (unknown !== undefined)
      return { field: `${prefix}${unknown}`, allowed: known, suggestion: suggest(unknown, known) };
  }
  return undefined;
}
