import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));

describe('colibrid skeleton', () => {
  it('prints its version', () => {
    expect(execFileSync(process.execPath, [main, '--version']).toString()).toMatch(/^colibrid \d+\.\d+\.\d+/);
  });
});
