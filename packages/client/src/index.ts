export type * from './api-types.js';
export type { ClientOptions, ColibriClient } from './colibri-client.js';
export { colibriPaths, defaultColibriHome, type HomeContext } from './colibri-home.js';
