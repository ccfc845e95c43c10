/**
 * The environment a driver's helper commands and the keeper's sandbox get: never the caller's (it
 * may hold secrets). A module of its own so the keeper, which runs beside every jail, imports it
 * without loading run-command.ts (the keeper needs only this constant).
 */
export const MINIMAL_COMMAND_ENV: Readonly<Record<string, string>> = Object.freeze({
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  LANG: 'C.UTF-8',
});
