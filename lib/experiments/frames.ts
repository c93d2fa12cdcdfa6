// Every result table of a profile as a danfojs DataFrame (lib/plot/frame.ts loads danfo lazily).
import type { DataFrame } from 'danfojs-node';
import { toDataFrame } from '../plot/frame';
import type { Results } from './results';

export type ResultFrames = { runs: DataFrame; trajectory: DataFrame; f0: DataFrame; fits: DataFrame; lawBaselines: DataFrame; slopes: DataFrame };

/** The tables of `results` as DataFrames, one per table, with the tables' columns. */
export function resultFrames(results: Results): ResultFrames {
  return {
    runs: toDataFrame(results.runs), trajectory: toDataFrame(results.trajectory), f0: toDataFrame(results.f0),
    fits: toDataFrame(results.fits), lawBaselines: toDataFrame(results.lawBaselines), slopes: toDataFrame(results.slopes),
  };
}
