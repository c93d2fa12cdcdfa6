// What lib/index.ts exposes as `sl.util`.
export { rngFor, Rng } from './rng';
export { UserError } from './errors';
export { readTable, writeTable } from './tables';
