import { describe, expect, it } from 'vitest';
import { lastBytes, STDERR_TAIL_BYTES, stderrKeepBytes, stderrTail } from './stderr-tail.js';

describe('stderrTail', () => {
  it('replaces every secret, escapes what a terminal acts on, keeps the rest', () => {
    const raw = Buffer.from('connecting with hunter2-pw\n\x1b]0;owned\x07token tok_abc123 done\r\n');
    expect(stderrTail(raw, ['hunter2-pw', 'tok_abc123', ''])).toBe(
      'connecting with [redacted]\n\\x1b]0;owned\\x07token [redacted] done\\r\n',
    );
  });

  it('keeps the last 64 KiB of UTF-8 and never the tail half of a secret that straddled the cut', () => {
    const secret = 'S3CRET-VALUE-0123456789';
    // The secret starts just before the last 64 KiB: a naive cut would keep its tail.
    const raw = Buffer.from(`${'x'.repeat(10)}${secret}${'y'.repeat(STDERR_TAIL_BYTES - 5)}`);
    const keep = stderrKeepBytes([secret]);
    const kept = raw.subarray(Math.max(0, raw.length - keep));
    const tail = stderrTail(kept, [secret]);
    expect(Buffer.byteLength(tail)).toBeLessThanOrEqual(STDERR_TAIL_BYTES);
    expect(tail).not.toContain('56789');
    // A naive cut of the raw bytes would have kept it.
    expect(raw.subarray(raw.length - STDERR_TAIL_BYTES).toString()).toContain('56789');
    expect(tail.endsWith('y'.repeat(100))).toBe(true);
  });

  it('cuts at a character boundary', () => {
    const text = `é${'ü'.repeat(10)}`;
    const cut = lastBytes(text, 7);
    expect(cut).toBe('üüü');
    expect(lastBytes('short', 100)).toBe('short');
  });
});
