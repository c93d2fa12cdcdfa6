// A plain-text table of corpus statistics, for the README and notebooks.
import { CorpusStats } from './types';

export function formatStats(s: CorpusStats): string {
  const kb = (n: number): string => (n / 1024).toFixed(0).padStart(7);
  const rows = s.domains.map(
    (d) => `${d.name.padEnd(22)} ${String(d.trainDocs).padStart(5)} ${String(d.valDocs).padStart(4)} ${kb(d.trainBytes)} ${kb(d.valBytes)}`,
  );
  return [
    `${'domain'.padEnd(22)} ${'docs'.padStart(5)} ${'val'.padStart(4)} ${'KiB'.padStart(7)} ${'val KiB'.padStart(7)}`,
    ...rows,
    `${'total'.padEnd(22)} ${String(s.train.docs).padStart(5)} ${String(s.val.docs).padStart(4)} ${kb(s.train.bytes)} ${kb(s.val.bytes)}`,
  ].join('\n');
}
