export { eventually } from './eventually.js';
export {
  COLIBRID_MAIN,
  type Colibrid,
  type ColibridExit,
  type SpawnColibrid,
  type StartColibridOptions,
  startColibrid,
} from './start-colibrid.js';
