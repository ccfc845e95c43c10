import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// Run in a child node (the built module: node 20 runs no TypeScript) that really inherited descriptors.
const probe = `
const { closeInheritedDescriptors, inheritedDescriptors } = await import(${JSON.stringify(
  new URL('../../dist/linux/inherited-descriptors.js', import.meta.url).href,
)});
const before = inheritedDescriptors();
const closed = closeInheritedDescriptors([31]);
console.log(JSON.stringify({ before, closed, after: inheritedDescriptors() }));
`;

describe('closeInheritedDescriptors', () => {
  it('closes what the process inherited without close-on-exec, keeps what it was told to, and nothing of its own', () => {
    const result = spawnSync(
      '/bin/bash',
      [
        '-c',
        'exec 30</etc/hostname 31</etc/hostname; exec "$0" "$@"',
        process.execPath,
        '--input-type=module',
        '-e',
        probe,
      ],
      { encoding: 'utf8' },
    );
    const report = JSON.parse(result.stdout.trim().split('\n').pop() as string);
    expect(report.before).toEqual(expect.arrayContaining([30, 31]));
    expect(report.closed).toContain(30);
    expect(report.closed).not.toContain(31);
    expect(report.after).toContain(31);
    expect(report.after).not.toContain(30);
    // Node's own descriptors (epoll, eventfd, pipes) are close-on-exec and never touched.
    expect(report.before.every((fd: number) => fd >= 3)).toBe(true);
  });
});
