import { open } from 'node:fs/promises';

/** The last `lines` lines of a log file (reading at most its last 16 KiB), or '' when there is none. */
export async function logTail(path: string, lines = 10): Promise<string> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, 'r');
    const { size } = await handle.stat();
    const length = Math.min(size, 16_384);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    return buffer
      .toString('utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .slice(-lines)
      .join('\n');
  } catch {
    return '';
  } finally {
    await handle?.close();
  }
}
