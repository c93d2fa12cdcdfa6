// F3 extrapolated in size (issue #13, item 2): the per-run limits A0 against non-embedding parameters N,
// the size law A0(N) = A_inf + k N^-gamma fitted to them (lib/laws/size-law.ts), and the comparison with
// the paper's limits at 0.1B-1.2B. Every seed of every F3 run is a point. Limits that are not identified
// are one-sided bounds: they never enter the fit, but they still say which way the limit moves with
// size when a larger size's bound excludes a smaller size's interval.
import type { Results } from '../experiments/results';
import { fitSizeLaw, sizeInsensitiveFrom, sizeLawValue, PUBLISHED_FITS, type SizeLawFit, type SizePoint } from '../laws';
import { sampleCurve, scatterChart, type TopLevelSpec } from '../plot';
import { ACT_COLORS } from './colors';
import { ACT_LABEL, fitOf, identified, num, profileLine, Row, runsOf, Verdict, verdictTable, type FindingDef } from './common';
import { fmt, fmtCount, round, withInterval } from './format';
import { PAPER, PAPER_ACTS, PAPER_BY_ACT, PAPER_SHAPES, paperNonEmbedding, type PaperAct } from './paper';

type Act = PaperAct;
const ACTS = PAPER_ACTS;

/** The paper's limits as (N, A0) points, N computed from its shapes. */
export function paperSizePoints(act: Act): { scale: string; N: number; A0: number }[] {
  return PAPER_SHAPES.map((s) => ({ scale: s.scale, N: paperNonEmbedding(s), A0: PUBLISHED_FITS.find((f) => f.act === act && f.scale === s.scale)!.A0 }));
}

function paperRange(act: Act): readonly [number, number] {
  return PAPER_BY_ACT[act].limitRange;
}

/** One point per F3 run (all seeds): its limit with interval when identified, else its one-sided bound. */
export function sizeLawPoints(results: Results, act: Act): (SizePoint & { run: string; seed: number; size: string })[] {
  return runsOf(results, 'F3').filter((r) => r.act === act).map((run) => {
    const f = fitOf(results, run.id);
    const ok = identified(f);
    return {
      run: run.id, seed: run.seed, size: run.size, label: run.label, N: run.params, identified: ok,
      A0: ok ? f!.A0 : null, A0_lo: ok ? num(f!.A0_lo) : null, A0_hi: ok ? num(f!.A0_hi) : null,
      bound: ok ? null : num(f?.limit_bound ?? null), boundSide: ok ? null : f?.limit_bound_side ?? null,
    };
  });
}

export function f3SizeLawFit(results: Results, act: Act): SizeLawFit {
  return fitSizeLaw(sizeLawPoints(results, act));
}

export type SizeDirection = 'falls' | 'rises' | 'cannot tell';

/**
 * Which way the limit moves with size, from intervals and bounds alone (no law): a pair of sizes
 * (smaller i, larger j) shows a fall when j's upper end (interval or upper bound) is below i's lower
 * end (interval or lower bound), a rise in the mirror case. Both kinds present, or neither: cannot tell.
 */
export function sizeDirection(points: readonly SizePoint[]): { direction: SizeDirection; evidence: string[] } {
  const upper = (p: SizePoint) => (p.identified ? p.A0_hi : p.boundSide === 'upper' ? p.bound : null) ?? null;
  const lower = (p: SizePoint) => (p.identified ? p.A0_lo : p.boundSide === 'lower' ? p.bound : null) ?? null;
  const name = (p: SizePoint) => p.label ?? `N = ${fmtCount(p.N)}`;
  const falls: string[] = [];
  const rises: string[] = [];
  for (const a of points) for (const b of points) {
    if (!(a.N < b.N)) continue;
    const ua = upper(a), la = lower(a), ub = upper(b), lb = lower(b);
    if (ub !== null && la !== null && ub < la) falls.push(`${name(b)} <= ${fmt(ub)} < ${fmt(la)} <= ${name(a)}`);
    if (lb !== null && ua !== null && lb > ua) rises.push(`${name(b)} >= ${fmt(lb)} > ${fmt(ua)} >= ${name(a)}`);
  }
  const direction: SizeDirection = falls.length && !rises.length ? 'falls' : rises.length && !falls.length ? 'rises' : 'cannot tell';
  return { direction, evidence: direction === 'falls' ? falls : direction === 'rises' ? rises : [...falls, ...rises] };
}

/** The table: every point, then the fitted law per activation. */
export function f3SizeLawRows(results: Results): Row[] {
  return ACTS.flatMap((act) => sizeLawPoints(results, act).map((p) => ({
    act: ACT_LABEL[act], model: p.label ?? p.run, seed: p.seed, params: p.N,
    limit: p.identified ? withInterval(p.A0, p.A0_lo, p.A0_hi) : p.bound !== null && p.bound !== undefined ? `not identified (A0 ${p.boundSide === 'upper' ? '<=' : '>='} ${fmt(p.bound)})` : 'not identified',
    A0: round(p.A0), A0_lo: round(p.A0_lo), A0_hi: round(p.A0_hi), bound: round(p.bound ?? null), bound_side: p.boundSide ?? null,
    enters_fit: p.identified ? 'weighted point' : 'one-sided bound (checked, not fitted)',
  })));
}

/** The size law per activation as rows (A_inf withheld when not identified). */
export function f3SizeLawFitRows(results: Results): Row[] {
  return ACTS.map((act) => {
    const f = f3SizeLawFit(results, act);
    return {
      act: ACT_LABEL[act], formula: f.formula, identified: f.identified,
      A_inf: f.identified ? round(f.A_inf) : null, A_inf_lo: f.identified ? round(f.A_inf_lo) : null, A_inf_hi: f.identified ? round(f.A_inf_hi) : null,
      gamma: f.identified ? round(f.gamma) : null, k: f.identified ? round(f.k) : null,
      n_fitted: f.n_fitted, n_bounds: f.n_bounds, bound_violations: f.bound_violations, chi2: round(f.chi2), dof: f.dof,
      not_identified_because: f.not_identified_because, warnings: f.warnings, paper_range: `${fmt(paperRange(act)[0])}-${fmt(paperRange(act)[1])}`,
    };
  });
}

export const F3_SIZE_SHAPES = {
  domain: ['A0 (identified)', 'A0 upper bound', 'A0 lower bound', 'paper (0.1B-1.2B)'],
  range: ['circle', 'triangle-down', 'triangle-up', 'square'],
};

/** Our limits and bounds, the fitted law where identified (extended to 1.2B), and the paper's limits. */
export function f3SizeLawSpec(results: Results): TopLevelSpec {
  const rows: Row[] = [];
  const curves: Row[] = [];
  for (const act of ACTS) {
    const pts = sizeLawPoints(results, act);
    for (const p of pts) {
      if (p.identified) rows.push({ act: ACT_LABEL[act], params: p.N, value: p.A0, lo: p.A0_lo, hi: p.A0_hi, quantity: 'A0 (identified)', model: p.label });
      else if (p.bound !== null && p.bound !== undefined) rows.push({ act: ACT_LABEL[act], params: p.N, value: p.bound, lo: null, hi: null, quantity: p.boundSide === 'lower' ? 'A0 lower bound' : 'A0 upper bound', model: p.label });
    }
    for (const q of paperSizePoints(act)) rows.push({ act: ACT_LABEL[act], params: q.N, value: q.A0, lo: null, hi: null, quantity: 'paper (0.1B-1.2B)', model: `paper ${q.scale}` });
    const f = fitSizeLaw(pts);
    if (f.identified && pts.length) {
      const from = Math.min(...pts.map((p) => p.N));
      const to = Math.max(...paperSizePoints(act).map((q) => q.N));
      curves.push(...sampleCurve((N) => sizeLawValue(f, N), from, to, { log: true, x: 'params', y: 'value', extra: { act: ACT_LABEL[act], line: `${ACT_LABEL[act]} size law` } }));
    }
  }
  return scatterChart(rows, {
    x: 'params', y: 'value', color: 'act', colorTitle: 'activation', colorScale: ACT_COLORS, shape: 'quantity', shapeTitle: 'quantity', shapeScale: F3_SIZE_SHAPES,
    logX: true, yZero: true, size: 45,
    ...(rows.some((r) => r.lo !== null) ? { errorBars: { lower: 'lo', upper: 'hi' } } : {}),
    ...(curves.length ? { fit: { data: curves, detail: 'line' } } : {}),
    title: 'Limit activation ratio against size: ours (95% profile intervals, or one-sided bounds where not identified), the size law where identified (dashed), the paper\'s 0.1B-1.2B limits',
    xTitle: 'non-embedding parameters', yTitle: 'limit activation ratio A0', width: 460, height: 280, tooltip: ['model'],
  });
}

/**
 * Verdict rule (printed with the verdict): "cannot tell" (inconclusive) when A_inf is not identified;
 * "agrees" when A_inf's interval overlaps the paper's 0.1B-1.2B range; otherwise "partly" when the
 * fitted curve moves toward that range from our smallest to our largest size, else "disagrees".
 */
export function f3SizeLawVerdict(results: Results, act: Act): Verdict {
  const f = f3SizeLawFit(results, act);
  const [plo, phi] = paperRange(act);
  const pts = sizeLawPoints(results, act);
  const dir = sizeDirection(pts);
  const rule = "A_inf identified (>= 4 identified sizes, nothing at a bound) and its 95% interval overlaps the paper's range: agrees; " +
    'no overlap but the fitted curve moves toward the range over our sizes: partly; otherwise disagrees; A_inf not identified: inconclusive (cannot tell)';
  const claim = `${ACT_LABEL[act]}'s limit extrapolated in size reaches the paper's`;
  const paper = `A0 ${fmt(plo)}-${fmt(phi)} at ${PAPER.f3Scales[0]}-${PAPER.f3Scales[1]}`;
  if (!pts.length) return { finding: 'F3', claim, paper, ours: 'no F3 runs', verdict: 'not measured', rule };
  if (!f.identified) {
    return { finding: 'F3', claim, paper, ours: `A_inf not identified (${f.not_identified_because}); without the law the limit ${dir.direction === 'cannot tell' ? 'shows no direction the intervals can tell' : `${dir.direction} with size`}`, verdict: 'inconclusive', rule };
  }
  const overlap = f.A_inf_lo <= phi && f.A_inf_hi >= plo;
  const Ns = pts.map((p) => p.N);
  const dist = (v: number) => (v > phi ? v - phi : v < plo ? plo - v : 0);
  const toward = dist(sizeLawValue(f, Math.max(...Ns))) < dist(sizeLawValue(f, Math.min(...Ns)));
  return {
    finding: 'F3', claim, paper, ours: `A_inf ${withInterval(f.A_inf, f.A_inf_lo, f.A_inf_hi)}`,
    verdict: overlap ? 'agrees' : toward ? 'partly' : 'disagrees', rule,
  };
}

export function f3SizeLawVerdicts(results: Results): Verdict[] {
  return ACTS.map((act) => f3SizeLawVerdict(results, act));
}

/** The narrative: per activation, the law or why there is none, the direction, and where size stops mattering. */
export function f3SizeLawNarrative(results: Results): string {
  const parts = [profileLine(results), ''];
  for (const act of ACTS) {
    const pts = sizeLawPoints(results, act);
    if (!pts.length) { parts.push(`- ${ACT_LABEL[act]}: no F3 runs.`); continue; }
    const f = fitSizeLaw(pts);
    const [plo, phi] = paperRange(act);
    const ids = pts.filter((p) => p.identified);
    const sizes = new Set(pts.map((p) => p.N)).size;
    const head = `- **${ACT_LABEL[act]}**: ${pts.length} run${pts.length === 1 ? '' : 's'} over ${sizes} size${sizes === 1 ? '' : 's'} (${fmtCount(Math.min(...pts.map((p) => p.N)))}-${fmtCount(Math.max(...pts.map((p) => p.N)))} parameters); ${ids.length} with an identified limit.`;
    parts.push(head);
    if (f.identified) {
      const tol = median(ids.map((p) => ((p.A0_hi as number) - (p.A0_lo as number)) / 2));
      const flat = sizeInsensitiveFrom(f, tol);
      parts.push(`  The size law gives A_inf ${withInterval(f.A_inf, f.A_inf_lo, f.A_inf_hi)} (gamma ${fmt(f.gamma)}, chi^2 ${fmt(f.chi2)} on ${f.dof} dof)` +
        `; the paper's limits are ${fmt(plo)}-${fmt(phi)}. The fitted curve comes within the typical per-size half-interval (${fmt(tol)}) of A_inf from about ${fmtCount(flat)} parameters: from there, size changes the limit by less than our noise.` +
        (f.warnings ? ` Warnings: ${f.warnings}.` : ''));
    } else {
      parts.push(`  The size law is not identified (${f.not_identified_because}), so no asymptote is printed and the data cannot tell at which size the limit stops changing.`);
    }
    const dir = sizeDirection(pts);
    const largest = pts.reduce((a, b) => (a.N >= b.N ? a : b));
    const beyond = pts.filter((p) => p.identified ? (p.A0_lo as number) > phi || (p.A0_hi as number) < plo
      : (p.boundSide === 'upper' && (p.bound ?? NaN) < plo) || (p.boundSide === 'lower' && (p.bound ?? NaN) > phi));
    const excl = beyond.length ? ` Sizes whose interval or bound already excludes the paper's range: ${beyond.map((p) => `${p.label} (${p.identified ? withInterval(p.A0, p.A0_lo, p.A0_hi) : `A0 ${p.boundSide === 'upper' ? '<=' : '>='} ${fmt(p.bound)}`})`).join(', ')}.` : '';
    if (dir.direction === 'cannot tell') {
      parts.push(`  Without the law, the intervals and one-sided bounds ${dir.evidence.length ? `contradict each other (${dir.evidence.join('; ')})` : 'do not separate any two sizes'}: the data cannot tell whether the limit moves with size.${excl}`);
    } else {
      const smallest = pts.reduce((a, b) => (a.N <= b.N ? a : b));
      const ref = smallest.identified ? (smallest.A0 as number) : smallest.bound ?? NaN;
      const toward = (dir.direction === 'falls' && ref > phi) || (dir.direction === 'rises' && ref < plo);
      const reach = largest.identified
        ? (largest.A0_lo as number) <= phi && (largest.A0_hi as number) >= plo ? 'its interval overlaps the paper\'s range' : 'its interval excludes the paper\'s range'
        : largest.boundSide === 'upper' ? ((largest.bound ?? NaN) < plo ? `its upper bound ${fmt(largest.bound)} is already below the paper's range` : `its upper bound ${fmt(largest.bound)} does not exclude the paper's range`)
        : largest.boundSide === 'lower' ? ((largest.bound ?? NaN) > phi ? `its lower bound ${fmt(largest.bound)} is already above the paper's range` : `its lower bound ${fmt(largest.bound)} does not exclude the paper's range`)
        : 'it has no bound';
      parts.push(`  The limit ${dir.direction} with size (${dir.evidence.slice(0, 3).join('; ')}${dir.evidence.length > 3 ? `; ${dir.evidence.length - 3} more pairs` : ''}), ` +
        `${toward ? 'toward' : 'away from'} the paper's ${fmt(plo)}-${fmt(phi)}; at our largest size (${largest.label}) ${reach}.${excl}`);
    }
  }
  parts.push('', verdictTable(f3SizeLawVerdicts(results)));
  return parts.join('\n');
}

function median(v: number[]): number {
  const s = v.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function f3SizeLawFigures(results: Results): { name: string; spec: TopLevelSpec }[] {
  return runsOf(results, 'F3').length ? [{ name: 'f3-size-law', spec: f3SizeLawSpec(results) }] : [];
}

export const F3_SIZE_LAW_FINDING: FindingDef = {
  id: 'F3-size-law', tag: 'F3', title: 'F3: the limit extrapolated in size', notebook: 'notebooks/04-f3-scale.ipynb',
  runs: (r) => runsOf(r, 'F3'), figures: f3SizeLawFigures, verdicts: f3SizeLawVerdicts, narrative: f3SizeLawNarrative,
};
