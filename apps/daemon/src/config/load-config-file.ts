import { dirname, isAbsolute, resolve } from 'node:path';
import { ColibriError } from '@colibri/errors';
import * as v from 'valibot';
import { parse as parseYaml } from 'yaml';
import { parseDuration } from './parse-duration.js';
import { parseListenAddress } from './parse-listen-address.js';

/** Where colibrid looks for its config file when neither `--config` nor `COLIBRI_CONFIG` names one. */
export function defaultConfigFile(platform: NodeJS.Platform): string {
  return platform === 'freebsd' ? '/usr/local/etc/colibri/colibrid.yaml' : '/etc/colibri/colibrid.yaml';
}

/** pino's levels, plus `silent`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const text = v.pipe(v.string('must be a string'), v.trim(), v.nonEmpty('must not be empty'));
/** A duration: `30s`, `2m`, `500ms`, or a number of seconds. */
const duration = v.pipe(
  v.union([v.string(), v.number()], 'must be a duration such as 30s, 2m or 500ms'),
  v.transform((value) => String(value)),
  v.check((value) => parseDuration(value) !== undefined, 'must be a duration such as 30s, 2m or 500ms'),
);
const listen = v.pipe(
  text,
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const parsed = parseListenAddress(dataset.value);
    if (typeof parsed === 'string') addIssue({ message: parsed });
  }),
);

/**
 * The file's keys are colibrid's flag names (`heartbeat-ttl: 30s`, `database-url: …`), so the
 * `--help` text documents both. Secrets that must never sit in argv (the vault's BW_* credentials)
 * are not keys either: they come from colibrid's environment only.
 */
const configFileSchema = v.strictObject({
  home: v.optional(text),
  socket: v.optional(text),
  db: v.optional(text),
  'database-url': v.optional(v.pipe(text, v.regex(/^postgres(ql)?:\/\//, 'must start with postgresql://'))),
  'pg-prepared-statements': v.optional(v.picklist(['on', 'off'], 'must be on or off')),
  listen: v.optional(listen),
  'heartbeat-ttl': v.optional(duration),
  grace: v.optional(duration),
  lease: v.optional(duration),
  'sweep-interval': v.optional(duration),
  'task-retries': v.optional(text),
  'task-retry-backoff': v.optional(duration),
  'expire-after': v.optional(
    v.union([duration, v.literal('off')], 'must be a duration such as 30m or 30d, or off'),
  ),
  retain: v.optional(v.union([duration, v.literal('off')], 'must be a duration such as 30m or 30d, or off')),
  'log-level': v.optional(v.picklist(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(', ')}`)),
  'spawn-policy': v.optional(text),
  'spawn-driver': v.optional(v.picklist(['linux', 'bastille'], 'must be linux or bastille')),
  'jail-root': v.optional(text),
  'spawn-runtime-dir': v.optional(text),
  'spawn-handlers': v.optional(text),
  'spawn-daemon-url': v.optional(text),
  source: v.optional(v.picklist(['bitwarden', 'directory'], 'must be bitwarden or directory')),
  'secrets-dir': v.optional(text),
  'vault-server': v.optional(text),
  'bastille-release': v.optional(text),
  'bastille-ip': v.optional(text),
  'bastille-packages': v.optional(text),
  'mcp-allowed-hosts': v.optional(text),
});

/** A setting the config file may hold (a colibrid flag name). */
export type ConfigFileKey = keyof v.InferOutput<typeof configFileSchema>;
/** The file's settings, validated; every value is the text the matching flag would take. */
export type ConfigFileValues = Readonly<Partial<Record<ConfigFileKey, string>>>;

/** Keys holding a path: a relative one is relative to the file's own directory. */
const PATH_KEYS: ReadonlySet<ConfigFileKey> = new Set([
  'home',
  'socket',
  'db',
  'spawn-policy',
  'jail-root',
  'spawn-runtime-dir',
  'spawn-handlers',
  'secrets-dir',
]);

/** Every key the file may hold, in the order `--print-config` shows them. */
export const CONFIG_FILE_KEYS = Object.keys(configFileSchema.entries) as ConfigFileKey[];

function invalid(file: string, message: string): never {
  throw new ColibriError('COLIBRI_INVALID_INPUT', `${file}: ${message}`, { file });
}

/**
 * Parses and validates a colibrid config file (YAML, or JSON, which is YAML). Throws
 * `COLIBRI_INVALID_INPUT` naming the file and the key for anything it cannot use: not YAML, not
 * a mapping, an unknown key, a value of the wrong kind. An empty file is no settings.
 */
export function parseConfigFile(source: string, file: string): ConfigFileValues {
  let document: unknown;
  try {
    document = parseYaml(source, { prettyErrors: false, uniqueKeys: true });
  } catch (error) {
    invalid(file, `not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (document === null || document === undefined) return Object.freeze({});
  if (typeof document !== 'object' || Array.isArray(document)) {
    invalid(file, 'must be a mapping of colibrid flag names to values, e.g. "log-level: info"');
  }
  const result = v.safeParse(configFileSchema, document);
  if (!result.success) {
    const issue = result.issues[0];
    const key = issue.path?.map((item) => String(item.key)).join('.') ?? '';
    if (issue.kind === 'schema' && issue.type === 'strict_object') {
      invalid(
        file,
        `unknown key ${JSON.stringify(key)} (the keys are colibrid's flag names: ${CONFIG_FILE_KEYS.join(', ')})`,
      );
    }
    invalid(file, `${key}: ${issue.message}`);
  }
  const values: Partial<Record<ConfigFileKey, string>> = {};
  for (const [key, value] of Object.entries(result.output) as [ConfigFileKey, string | undefined][]) {
    if (value === undefined) continue;
    values[key] = PATH_KEYS.has(key) && !isAbsolute(value) ? resolve(dirname(file), value) : value;
  }
  if (values.db !== undefined && values['database-url'] !== undefined) {
    invalid(file, 'db (SQLite) and database-url (PostgreSQL) are mutually exclusive; keep one');
  }
  return Object.freeze(values);
}
