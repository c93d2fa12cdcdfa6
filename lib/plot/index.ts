// Figures and tables: Vega-Lite spec builders, static SVG/PNG rendering, saved figures, and
// notebook display for the tslab kernel.
export * from './data';
export * from './specs';
export * from './render';
export * from './table';
export * from './notebook';
export * from './frame';
