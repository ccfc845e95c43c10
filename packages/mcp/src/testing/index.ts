export { EXPECTED_TOOLS, expectedToolNames, READ_ONLY_TOOLS } from './tool-names.js';
