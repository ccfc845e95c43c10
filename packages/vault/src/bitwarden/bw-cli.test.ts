import { describe, expect, it } from 'vitest';
import { BwCli, usefulBwText } from './bw-cli.js';

// What bw 2026.6.0 printed on stderr for a wrong master password (its Rust SDK logs first).
const WRONG_PASSWORD_STDERR =
  'ERROR bitwarden_crypto::keys::master_key: error=The decryption operation failed\n\n' +
  'ERROR bitwarden_core::client::internal: error=Cryptography error, The decryption operation failed\n\n' +
  'ERROR bitwarden_core::key_management::crypto: error=Cryptography error, The decryption operation failed\n\n' +
  'Cryptography error, The decryption operation failed';

describe('usefulBwText', () => {
  it("drops bw's SDK log lines and keeps its own sentence", () => {
    expect(usefulBwText(WRONG_PASSWORD_STDERR).trim()).toBe(
      'Cryptography error, The decryption operation failed',
    );
  });

  it('keeps every other line, including ones that merely mention ERROR', () => {
    const text = 'Syncing failed: ERROR from server\nWARN: not a log line of the SDK';
    expect(usefulBwText(text)).toBe(text);
  });
});

describe('BwCli.failure', () => {
  const cli = new BwCli({
    runner: {
      run: async () => ({ exitCode: 0, stdout: '', stderr: '' }),
      start: () => {
        throw new Error('unused');
      },
    },
    nodePath: '/usr/bin/node',
    bwEntry: '/opt/bw.js',
    appDataDir: '/var/lib/colibri/bw',
    extraEnv: {},
    timeoutMs: 1000,
    secrets: () => ['hunter2'],
  });

  it('quotes only the useful sentence, scrubbed, on one line', () => {
    const error = cli.failure(
      ['unlock'],
      { exitCode: 1, stdout: '', stderr: `${WRONG_PASSWORD_STDERR}\n(tried hunter2)` },
      'COLIBRI_VAULT_UNLOCK_FAILED',
      '; check BW_PASSWORD',
    );
    expect(error.message).toBe(
      'bw unlock failed (exit 1): Cryptography error, The decryption operation failed (tried [redacted]); check BW_PASSWORD',
    );
    expect(JSON.stringify(error.details)).not.toMatch(/bitwarden_|hunter2/);
  });
});
