// The public API of sparsing-law: what notebooks and users' scripts import by package name,
// grouped by concern so that `import * as sl from 'sparsing-law'` gives a short list:
//   sl.findings.f1FitRows(results), sl.metrics.calibrate(...), sl.laws.fitLaw(...), sl.plot.show(...).
// The few calls every notebook makes are also at the top level (sl.show, sl.showTable, ...).
import * as backend from './backend/select';
import * as findings from './findings';
import * as laws from './laws';
import * as metrics from './metrics';
import * as plot from './plot';
import * as data from './data/namespace';
import * as hub from './hub';

// sl.hub: Hugging Face model folders (config mapping, sharded safetensors, their tokenizer, evaluation sets).
export { backend, findings, laws, metrics, plot, data, hub };

/** The model: configuration, presets, the forward pass. */
export * as model from './model/namespace';
/** Hugging Face style checkpoints and run folders. */
export * as checkpoint from './checkpoint/namespace';
/** Training and evaluation. */
export * as train from './train/namespace';
/** A profile's results: profiles, loading, snapshots, the typed tables and their DataFrames. */
export * as results from './experiments/namespace';
/** Seeded random numbers, errors, tables on disk. */
export * as util from './util/namespace';
export type * from './experiments/schema';
export type { Results, ResultsSource } from './experiments/results';
export type { Profile, RunSpec, MeasureSpec, Finding } from './experiments/profiles';

// Every notebook's calls, at the top level.
export { tf } from './backend/tf';
export const { initBackend, backendName, backendDetail } = backend;
export const { show, showTable } = plot;
export const { showMarkdown } = findings;
export { resultsForNotebook } from './experiments/results';
export { resultFrames } from './experiments/frames';
export { toDataFrame } from './plot/frame';
export { UserError } from './util/errors';
export { loadDanfo as danfo } from './plot/frame';
export const { toRows } = plot;
