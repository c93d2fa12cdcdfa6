// Number formatting for tables and narratives: every number a narrative prints goes through here,
// so the prose and the tables round alike.

/** A number to `digits` significant digits, without exponent noise ("0.113", "2.4", "1.2e-05"). */
export function fmt(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a < 1e-4 || a >= 1e6) return x.toExponential(Math.max(0, digits - 1));
  return String(Number(x.toPrecision(digits)));
}

/** A fraction as a percentage ("11.3%"). */
export function pct(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a';
  return `${fmt(100 * x, digits)}%`;
}

/** A token or parameter count in words: 125000 -> "125k", 4000000 -> "4M", 2608 -> "2.6k". */
export function fmtCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return 'n/a';
  const a = Math.abs(n);
  if (a >= 1e9) return `${fmt(n / 1e9, 3)}B`;
  if (a >= 1e6) return `${fmt(n / 1e6, 3)}M`;
  if (a >= 1e3) return `${fmt(n / 1e3, 3)}k`;
  return fmt(n, 3);
}

/** "0.113 [0.105, 0.121]" (interval left out when it is not there). */
export function withInterval(x: number | null | undefined, lo: number | null | undefined, hi: number | null | undefined, digits = 3): string {
  const ok = (v: number | null | undefined): v is number => v !== null && v !== undefined && Number.isFinite(v);
  return ok(lo) && ok(hi) ? `${fmt(x, digits)} [${fmt(lo, digits)}, ${fmt(hi, digits)}]` : fmt(x, digits);
}

/** A value rounded for a table cell (keeps numbers numeric, so tables stay sortable). */
export function round(x: number | null | undefined, digits = 4): number | null {
  if (x === null || x === undefined || !Number.isFinite(x)) return null;
  return Number(x.toPrecision(digits));
}
