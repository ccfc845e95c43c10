// The scrubber lives in @colibri/protocol: the agent runtime scrubs a handler's stderr with it too.
export { REDACTED, scrubSecrets } from '@colibri/protocol';
