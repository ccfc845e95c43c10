import { parseAgentName, parseJailName, parseTenantName } from '@colibri/protocol';
import * as v from 'valibot';

const validName = (parse: (input: unknown) => string) =>
  v.pipe(
    v.string(),
    v.check((value) => parse(value) === value),
  );
const id = v.pipe(v.number(), v.integer(), v.minValue(1));

/**
 * The fields every driver's jail record shares (valibot entries to spread into a driver's own
 * strict schema): a record read back from disk is validated like any other input.
 */
export const JAIL_RECORD_IDENTITY = {
  format: v.literal(1),
  name: validName(parseJailName),
  agentName: validName(parseAgentName),
  tenant: validName(parseTenantName),
  uid: id,
  gid: id,
} as const;
