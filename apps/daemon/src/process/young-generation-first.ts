// Imported first by main.ts, so that it runs before the other modules are evaluated (and allocate):
// the young generation stays small from the start. main.ts is the only importer (it alone may read
// the process's flags and environment).
import { keepYoungGenerationSmall } from './small-young-generation.js';

keepYoungGenerationSmall(process.execArgv, process.env.NODE_OPTIONS);
