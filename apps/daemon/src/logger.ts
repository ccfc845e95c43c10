import pino, { type Logger } from 'pino';
import type { LogLevel } from './config/resolve-config.js';

export type { Logger } from 'pino';

/**
 * JSON lines on `destination` (stdout by default), written synchronously so that a `kill -9`
 * loses no line already logged. The daemon logs named fields only (never requests, headers or
 * bodies); the redaction list is a second line of defence against a token slipping in.
 */
export function createLogger(level: LogLevel, destination: number | string = 1): Logger {
  return pino(
    {
      level,
      base: { service: 'colibrid', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'token',
          '*.token',
          'authorization',
          '*.authorization',
          'headers',
          '*.headers',
          'payload',
          '*.payload',
          'result',
          '*.result',
        ],
        censor: '[redacted]',
      },
    },
    pino.destination({ dest: destination, sync: true }),
  );
}
