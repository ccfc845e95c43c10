import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { parseCapabilities } from './capability-tag.js';
import { viaParser } from './via-parser.js';

describe('viaParser', () => {
  it("passes the parser's output through and turns its throw into an issue with its message", () => {
    const schema = v.object({ tags: viaParser(parseCapabilities) });
    expect(v.parse(schema, { tags: ['linux'] })).toEqual({ tags: ['linux'] });
    const result = v.safeParse(schema, { tags: ['Linux'] });
    expect(result.success).toBe(false);
    expect(result.issues?.[0]?.message).toContain('did you mean "linux"');
  });
});
