import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Daemon, startDaemon } from './daemon-harness.js';

// colibrid starts children of its own (bw, the jail tools, preflight's trial sandboxes): a
// descriptor it inherited without close-on-exec would reach every one of them. The attack: an
// operator's shell holds another tenant's secrets open on fd 30 (`exec 30<other.env`) when it
// starts colibrid.
describe('colibrid and the descriptors it inherits', () => {
  const dir = mkdtempSync(join(tmpdir(), 'colibrid-fds-'));
  let daemon: Daemon | undefined;
  afterAll(async () => {
    await daemon?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('closes an inherited root-only file at start, before it starts any child', async () => {
    const secret = join(dir, 'other-tenant.env');
    writeFileSync(secret, 'API_KEY=other-tenants-secret\n', { mode: 0o600 });
    const fd = openSync(secret, 'r');
    try {
      daemon = await startDaemon({ inheritFds: { 30: fd } });
    } finally {
      closeSync(fd);
    }
    const pid = daemon.child.pid;
    expect(pid).toBeTypeOf('number');
    // The daemon answers (startDaemon waited for it), so it is past its start: fd 30 is gone.
    expect(existsSync(`/proc/${pid}/fd/30`)).toBe(false);
    // The list may hold more (whatever the test runner left open without close-on-exec).
    expect(daemon.logs()).toMatch(
      /"fds":\[[\d,]*\b30\b[\d,]*\].*closed descriptors inherited from the parent/,
    );
  });
});
