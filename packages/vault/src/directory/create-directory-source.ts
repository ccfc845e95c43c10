import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { parseEnvFile } from '@colibri/env-file';
import { ColibriError, isColibriError } from '@colibri/errors';
import { parseTenantName } from '@colibri/protocol';
import type { FetchOutcome, SecretSource } from '../secret-source.js';

export interface DirectorySourceOptions {
  /** Holds one `<tenant>.env` per tenant, each mode 0600 (or stricter). */
  readonly directory: string;
}

/** A secrets file larger than this is refused: it is not a hand-written `.env`. */
const MAX_FILE_BYTES = 1024 * 1024;

function errno(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** Reads one tenant's file; ENOENT → no bucket. */
async function readTenantFile(path: string): Promise<FetchOutcome> {
  let handle: FileHandle;
  try {
    // O_NOFOLLOW: the file itself may not be a symlink; O_NONBLOCK: a FIFO must not hang us.
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = errno(error);
    if (code === 'ENOENT') return { kind: 'no-bucket' };
    if (code === 'ELOOP') {
      throw new ColibriError('COLIBRI_SECRETS_UNSAFE', `${path} is a symbolic link; use a regular file`, {
        path,
      });
    }
    throw new ColibriError('COLIBRI_VAULT_CLI_FAILED', `cannot read ${path}: ${code ?? 'error'}`, { path });
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) {
      throw new ColibriError('COLIBRI_SECRETS_UNSAFE', `${path} is not a regular file`, { path });
    }
    if ((stats.mode & 0o077) !== 0) {
      throw new ColibriError(
        'COLIBRI_SECRETS_UNSAFE',
        `${path} is accessible to group or others (mode ${(stats.mode & 0o777).toString(8)}): run chmod 600 ${path}`,
        { path, mode: (stats.mode & 0o777).toString(8) },
      );
    }
    if (stats.size > MAX_FILE_BYTES) {
      throw new ColibriError(
        'COLIBRI_VAULT_SECRET_INVALID',
        `${path} is larger than ${MAX_FILE_BYTES} bytes`,
        {
          path,
        },
      );
    }
    const text = (await handle.readFile()).toString('utf8');
    return { kind: 'secrets', collectionId: null, variables: parseEnvFile(text, path) };
  } finally {
    await handle.close();
  }
}

/**
 * A secret source backed by local files, for development and demos: tenant T's secrets are in
 * `<directory>/T.env`, written in colibri's own `.env` form (`KEY='value'` lines, `#` comments and
 * blank lines allowed). No file, or a tenant whose collection name is null → `no-bucket` (the
 * collection name itself plays no other part: vault names may hold `/` and spaces). A file that is a symlink, not a
 * regular file or readable by group/others is refused (`COLIBRI_SECRETS_UNSAFE`). It has no
 * collection ids: outcomes carry `collectionId: null` and cached ids are ignored.
 */
export function createDirectorySource(options: DirectorySourceOptions): SecretSource {
  const directory = options?.directory;
  if (typeof directory !== 'string' || !isAbsolute(directory)) {
    throw new ColibriError(
      'COLIBRI_INVALID_INPUT',
      `the secrets directory must be an absolute path, got ${JSON.stringify(directory)}`,
      { field: 'directory' },
    );
  }
  return {
    kind: 'directory',
    async fetchMany(requests, onProgress) {
      const outcomes = new Map<string, FetchOutcome>();
      for (const request of requests) {
        const started = performance.now();
        const tenantId = String(request.tenantId);
        if (outcomes.has(tenantId)) continue;
        let outcome: FetchOutcome;
        try {
          // The tenant id becomes a file name: the tenant-name rules keep dots and slashes out.
          const name = parseTenantName(request.tenantId);
          outcome =
            request.collectionName === null
              ? { kind: 'no-bucket' }
              : await readTenantFile(join(directory, `${name}.env`));
        } catch (error) {
          outcome = {
            kind: 'failed',
            error: isColibriError(error)
              ? error
              : new ColibriError('COLIBRI_VAULT_CLI_FAILED', `tenant ${tenantId}: cannot read its secrets`, {
                  tenant: tenantId,
                }),
          };
        }
        outcomes.set(tenantId, outcome);
        onProgress?.({
          kind: 'tenant-fetched',
          tenantId,
          outcome: outcome.kind,
          durationMs: Math.round(performance.now() - started),
        });
      }
      return outcomes;
    },
  };
}
