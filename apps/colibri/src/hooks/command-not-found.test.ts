import { describe, expect, it } from 'vitest';
import { unknownCommandMessage } from './command-not-found.js';

const ids = ['intake-task', 'list-agents', 'list-tasks', 'status', 'poll'];

describe('unknownCommandMessage', () => {
  it('suggests the nearest command', () => {
    expect(unknownCommandMessage('statuss', ids)).toBe(
      'unknown command "statuss"; did you mean status? (see colibri --help)',
    );
    expect(unknownCommandMessage('list-task', ids)).toMatch(/did you mean list-tasks\?/);
    expect(unknownCommandMessage('frobnicate', ids)).toBe(
      'unknown command "frobnicate" (see colibri --help)',
    );
  });

  it('names a misplaced flag without its value', () => {
    const message = unknownCommandMessage('--token=s3cret-value', ids);
    expect(message).toBe(
      '--token must come after the command (colibri <command> --token …); see colibri --help',
    );
    expect(message).not.toContain('s3cret');
  });
});
