// The paper's findings, computed from a profile's results: tidy rows for tables, Vega-Lite specs for
// figures, and closing narratives whose every number comes from the results (paper.ts holds the
// paper's own figures, quoted for comparison). The notebooks are thin calls into this module.
export * from './common';
export * from './format';
export * from './paper';
export * from './stats';
export * from './trend';
export * from './f0';
export * from './f1';
export * from './f2';
export * from './f3-runs';
export * from './f3';
export * from './f3-patterns';
export * from './figures';
export * from './display';
export * from './quickstart';
export * from './f3-vocab';
export * from './f3-size-law';
export * from './f1-early';
export * from './registry';
