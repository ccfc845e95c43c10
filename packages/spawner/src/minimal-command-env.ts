/**
 * The environment a driver's helper commands and the keeper's sandbox get: never the caller's (it
 * may hold secrets). A module of its own so the keeper, which runs beside every jail, imports it
 * without run-command's execa (~9 MiB of private memory per process).
 */
export const MINIMAL_COMMAND_ENV: Readonly<Record<string, string>> = Object.freeze({
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  LANG: 'C.UTF-8',
});
