import * as v from 'valibot';

/**
 * Wraps one of colibri's throwing parsers (`parseCapabilities`, `parseTenantName`, …) as a
 * valibot step, keeping the parser's precise message as the issue message. Lets request and
 * input schemas reuse the one rule instead of restating it.
 */
export function viaParser<T>(parse: (value: unknown) => T) {
  return v.pipe(
    v.unknown(),
    v.rawTransform<unknown, T>(({ dataset, addIssue, NEVER }) => {
      try {
        return parse(dataset.value);
      } catch (error) {
        addIssue({ message: (error as Error).message });
        return NEVER;
      }
    }),
  );
}
