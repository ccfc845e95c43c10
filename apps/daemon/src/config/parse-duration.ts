// The one duration grammar lives in @colibri/protocol (the CLI and MCP read durations too).
export { formatDuration, parseDuration } from '@colibri/protocol';
