/**
 * The one `bw` version colibri runs. Newer CLI releases expect newer server routes (2026.9's first
 * unlock calls an endpoint older servers 404 on) and 2026.7+ need Node 22, so the version is pinned
 * in package.json and checked at run time: a different `bw` refuses to run.
 */
export const PINNED_BW_VERSION = '2026.6.0';
