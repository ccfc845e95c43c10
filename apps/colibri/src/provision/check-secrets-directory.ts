import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { ColibriError } from '@colibri/errors';
import type { ProvisionSourceConfig } from './resolve-provision-config.js';

/**
 * A `--source directory` whose directory is missing, not a directory or not readable is a
 * configuration error (`COLIBRI_INVALID_INPUT`, exit 2), found before anything is created: it is
 * not the no-secrets case. (A missing `<tenant>.env` inside a good directory is: that tenant has no
 * bucket.) A Bitwarden source passes untouched.
 */
export async function checkSecretsDirectory(source: ProvisionSourceConfig): Promise<void> {
  if (source.kind !== 'directory') return;
  const { directory } = source;
  const refuse = (why: string, fix: string): never => {
    throw new ColibriError(
      'COLIBRI_INVALID_INPUT',
      `--secrets-dir ${directory} ${why}: ${fix} (it holds one <tenant>.env per tenant)`,
      { flag: 'secrets-dir', path: directory },
    );
  };
  const stats = await stat(directory).catch((error: NodeJS.ErrnoException) =>
    error.code === 'ENOENT' || error.code === 'ENOTDIR'
      ? refuse('does not exist', 'create it or point --secrets-dir (COLIBRI_SECRETS_DIR) at the right one')
      : refuse(`cannot be read (${error.code ?? 'error'})`, 'check its permissions and those of its parents'),
  );
  if (!stats.isDirectory())
    refuse('is not a directory', 'point --secrets-dir at the directory of .env files');
  await access(directory, constants.R_OK | constants.X_OK).catch((error: NodeJS.ErrnoException) =>
    refuse(`cannot be read (${error.code ?? 'error'})`, 'check its permissions and those of its parents'),
  );
}
