// One terminalSafe for the CLI and the agent runtime (which escapes a handler's stderr before it is
// stored): it lives in @colibri/protocol, imported by its own entry so the CLI's start stays light.
export { terminalSafe, terminalSafeJson } from '@colibri/protocol/terminal-safe';
