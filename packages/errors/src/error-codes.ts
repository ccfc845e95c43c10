/**
 * Every stable error code colibri emits, with the kind of failure it is.
 *
 * The kind lets each edge (HTTP status, CLI exit code) map whole families at once:
 * - `invalid-input`: the caller sent something malformed; retrying unchanged will fail again.
 * - `unauthenticated`: no credential, or one the daemon does not recognise.
 * - `forbidden`: a valid credential that may not do this (an agent acting on another agent).
 * - `not-found`: a named thing (agent, task, tenant) does not exist.
 * - `conflict`: the request was well-formed but lost against the current state (a compare-and-set
 *   lost a race, an illegal transition, a name already taken).
 * - `unavailable`: a dependency (database, daemon) could not be reached or failed; retry may help.
 * - `internal`: a bug or broken invariant inside colibri.
 */
export const ERROR_CODES = {
  COLIBRI_INVALID_INPUT: 'invalid-input',
  COLIBRI_INVALID_CAPABILITY: 'invalid-input',
  COLIBRI_INVALID_NAME: 'invalid-input',
  COLIBRI_PAYLOAD_TOO_LARGE: 'invalid-input',
  COLIBRI_METHOD_NOT_ALLOWED: 'invalid-input',
  COLIBRI_AMBIGUOUS_ID: 'invalid-input',
  COLIBRI_ID_PREFIX_TOO_SHORT: 'invalid-input',
  COLIBRI_UNAUTHENTICATED: 'unauthenticated',
  COLIBRI_FORBIDDEN: 'forbidden',
  COLIBRI_JOIN_TOKEN_INVALID: 'unauthenticated',
  COLIBRI_AGENT_NOT_FOUND: 'not-found',
  COLIBRI_TASK_NOT_FOUND: 'not-found',
  COLIBRI_TENANT_NOT_FOUND: 'not-found',
  COLIBRI_ROUTE_NOT_FOUND: 'not-found',
  COLIBRI_AGENT_NAME_TAKEN: 'conflict',
  COLIBRI_TENANT_EXISTS: 'conflict',
  COLIBRI_ILLEGAL_TRANSITION: 'conflict',
  COLIBRI_STALE_ATTEMPT: 'conflict',
  COLIBRI_NOT_ASSIGNED_TO_AGENT: 'conflict',
  COLIBRI_AGENT_NOT_ELIGIBLE: 'conflict',
  COLIBRI_SKILL_CONFLICT: 'conflict',
  COLIBRI_IDEMPOTENCY_CONFLICT: 'conflict',
  COLIBRI_TASK_NOT_DUE: 'conflict',
  COLIBRI_DAEMON_ALREADY_RUNNING: 'conflict',
  COLIBRI_STORE_UNAVAILABLE: 'unavailable',
  COLIBRI_DAEMON_UNREACHABLE: 'unavailable',
  COLIBRI_STORE_SCHEMA_TOO_NEW: 'unavailable',
  COLIBRI_UNSAFE_PATH: 'forbidden',
  COLIBRI_VAULT_SERVER_MISMATCH: 'unavailable',
  COLIBRI_VAULT_LOGIN_FAILED: 'unauthenticated',
  COLIBRI_VAULT_UNLOCK_FAILED: 'unauthenticated',
  COLIBRI_VAULT_SYNC_FAILED: 'unavailable',
  COLIBRI_VAULT_CLI_FAILED: 'unavailable',
  COLIBRI_VAULT_LOCK_TIMEOUT: 'unavailable',
  COLIBRI_VAULT_COLLECTION_AMBIGUOUS: 'conflict',
  COLIBRI_VAULT_COLLECTION_CHANGED: 'conflict',
  COLIBRI_VAULT_SECRET_INVALID: 'invalid-input',
  COLIBRI_IDENTITY_INVALID: 'invalid-input',
  COLIBRI_CAPABILITY_NOT_CONFIRMED: 'invalid-input',
  COLIBRI_SECRETS_UNSAFE: 'forbidden',
  COLIBRI_SPAWN_POLICY_DENIED: 'forbidden',
  COLIBRI_HANDLER_NOT_FOUND: 'not-found',
  COLIBRI_HANDLER_FAILED: 'unavailable',
  COLIBRI_HANDLER_TIMEOUT: 'unavailable',
  COLIBRI_SECRETS_MALFORMED: 'invalid-input',
  COLIBRI_VAULT_WRITE_FAILED: 'unavailable',
  COLIBRI_TASK_FAILED: 'unavailable',
  COLIBRI_WAIT_TIMEOUT: 'unavailable',
  COLIBRI_JAIL_EXISTS: 'conflict',
  COLIBRI_JAIL_NOT_FOUND: 'not-found',
  COLIBRI_JAIL_DRIVER_FAILED: 'unavailable',
  COLIBRI_PREFLIGHT_FAILED: 'unavailable',
  COLIBRI_RUNTIME_UNAVAILABLE: 'unavailable',
  COLIBRI_SPAWN_FAILED: 'unavailable',
  COLIBRI_AGENT_RETIRED: 'conflict',
  COLIBRI_INTERNAL: 'internal',
} as const;

/** A stable error code. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** The family an error code belongs to; see {@link ERROR_CODES}. */
export type ErrorKind = (typeof ERROR_CODES)[ErrorCode];

/** The family of `code`. */
export function errorKind(code: ErrorCode): ErrorKind {
  return ERROR_CODES[code];
}
