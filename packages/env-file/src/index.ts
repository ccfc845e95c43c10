export {
  checkVariable,
  compareKeys,
  ENV_KEY_PATTERN,
  type VariableOrigin,
} from './env-variable.js';
export { parseEnvFile } from './parse-env-file.js';
export { renderEnvFile } from './render-env-file.js';
