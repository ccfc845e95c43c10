export type { ClientOptions, ColibriClient } from './colibri-client.js';
export { createClient } from './create-client.js';
