// Shared access to a profile's results for the findings: which runs serve a finding, a run's
// trajectories and fitted law, and the verdict rows every closing section is built from.
import { A0_BOUND } from '../experiments/aggregate';
import type { Results } from '../experiments/results';
import { isFitOk, stableSeries, type FitOkRow, type TrajectoryRow } from '../experiments/schema';
import type { Finding } from '../experiments/profiles';
import type { LawParams } from '../laws';
import { convertTokens, lawForAct, lawNameForAct, type ActivationLaw } from '../laws';
import { ACTIVATION_NAMES, activationLabel, ACTIVATIONS, type Activation } from '../model/activations';
import { fmt, fmtCount, withInterval } from './format';

import type { Row, TopLevelSpec } from '../plot';
export type { Row };

/** Display name of every activation ("ReLU"), from the activation registry. */
export const ACT_LABEL = Object.fromEntries(ACTIVATION_NAMES.map((a) => [a, ACTIVATIONS[a].label])) as Record<Activation, string>;

/** The law of each activation in words (the forms are in lib/laws/forms.ts). */
export const LAW_WORDS: Record<ActivationLaw, string> = { relu: 'logspace power law', silu: 'power law' };

/** Which way an activation's law moves with data: ReLU's falls toward its limit, SiLU's rises. */
export function lawTrend(act: Activation): 'falls' | 'rises' {
  return lawForAct(act).direction === 'decreasing' ? 'falls' : 'rises';
}

/** The paper's law of an activation in words: "decreasing logspace power law". */
export function lawDescription(act: Activation): string {
  return `${lawForAct(act).direction} ${LAW_WORDS[lawNameForAct(act)]}`;
}

/** What the findings need to know about one training run. */
export interface RunInfo {
  id: string;
  preset: string;
  act: Activation;
  seed: number;
  d: number;
  layers: number;
  dOverL: number;
  params: number;          // non-embedding parameters
  tokens: number;          // training budget
  findings: Finding[];
  /** "d64-l2 (131k)": the shape and its size, the same for both activations. */
  size: string;
  /** "ReLU d64-l2 (131k)"; where several runs share that, what tells them apart: "ReLU d64-l2 (131k), seed 1" (and the token budget where budgets differ). Unique within a profile's results. */
  label: string;
}

export function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Every measured run, smallest first, optionally only those a finding uses. */
export function runsOf(results: Results, finding?: Finding): RunInfo[] {
  const labels = runLabels(results);
  return results.measurements
    .filter((m) => !finding || m.run.findings.includes(finding))
    .map((m) => {
      const first: TrajectoryRow | undefined = m.trajectory[0];
      const d = first?.d ?? NaN;
      const layers = first?.layers ?? NaN;
      const size = `${m.run.preset} (${fmtCount(m.params.nonEmbedding)})`;
      return {
        id: m.run.id, preset: m.run.preset, act: m.run.act, seed: m.run.seed, d, layers, dOverL: m.d_over_l,
        params: m.params.nonEmbedding, tokens: m.run.tokens, findings: m.run.findings, size, label: labels.get(m.run.id)!,
      } as RunInfo;
    })
    .sort((a, b) => a.params - b.params || a.act.localeCompare(b.act) || a.seed - b.seed || a.id.localeCompare(b.id));
}

/**
 * Every run's label, unique over the whole results (not per finding, so a run reads the same in
 * every table): activation and size, then the seed where seeds of that model differ and the token
 * budget where budgets differ. Code that keys on labels (tables, figure series) would otherwise
 * merge the seeds of one model into one.
 */
function runLabels(results: Results): Map<string, string> {
  const base = (m: Results['measurements'][number]) => `${activationLabel(m.run.act)} ${m.run.preset} (${fmtCount(m.params.nonEmbedding)})`;
  const out = new Map<string, string>();
  for (const [b, ms] of groupBy(results.measurements, base)) {
    const seeds = new Set(ms.map((m) => m.run.seed)).size > 1;
    const budgets = new Set(ms.map((m) => m.run.tokens)).size > 1;
    for (const m of ms) out.set(m.run.id, b + (seeds ? `, seed ${m.run.seed}` : '') + (budgets ? `, ${fmtCount(m.run.tokens)} tokens` : ''));
  }
  return out;
}

/** A run's trajectory rows of one method ('ppl-p-stable', 'cett', 'zero'), oldest first. */
export function trajectoryOf(results: Results, runId: string, method = 'ppl-p-stable'): (TrajectoryRow & { tokens: number })[] {
  return results.trajectory
    .filter((r): r is TrajectoryRow & { tokens: number } => r.run === runId && r.method === method && num(r.tokens) !== null)
    .sort((a, b) => a.tokens - b.tokens);
}

/**
 * A fitted-law row of the fits table (lib/experiments/schema.ts). Tables written before fits
 * reported identification lack limit_identified (then the A0-at-bound rule decides), and intervals
 * that were NaN read back as null.
 */
export type FitRow = LawParams & Omit<FitOkRow, 'limit_identified' | 'A0_lo' | 'A0_hi'> & {
  limit_identified?: boolean; A0_lo: number | null; A0_hi: number | null;
};

/** The law fitted to a run's series (default: the stabilised PPL-p% ratio of the profile's p), if the fit succeeded. */
export function fitOf(results: Results, runId: string, series = stableSeries(results.profile.measure.p)): FitRow | undefined {
  return results.fits.filter(isFitOk).find((r) => r.run === runId && r.series === series && num(r.A0) !== null);
}

/** Why a run's series could not be fitted, if it could not. */
export function fitErrorOf(results: Results, runId: string, series = stableSeries(results.profile.measure.p)): string | undefined {
  const f = results.fits.find((r) => r.run === runId && r.series === series);
  return f && !isFitOk(f) ? f.error : undefined;
}

/**
 * Why a fitted limit should not be read as a limit, or null when nothing is wrong: a parameter of the
 * fit at a bound, or an interval reaching one (the points do not pin the limit down: e.g. b at its
 * bound turns the law into a plain power law and A0 into an extrapolation), or a fit that explains
 * little of the curve.
 */
export function fitIssue(f: FitRow | undefined): string | null {
  if (!f) return 'no fit';
  if (f.limit_identified === false) {
    const why = [f.at_bound ? `at a bound of the fit: ${f.at_bound}` : '', f.interval_at_bound ? `interval reaching a bound: ${f.interval_at_bound}` : '']
      .filter((x) => x).join('; ') || "A0's profile-likelihood interval reaches a bound";
    return `not identified (${why})`;
  }
  if (f.limit_identified === undefined && (f.A0 > A0_BOUND || f.A0 < 1 - A0_BOUND)) return `A0 sits at the bound ${f.A0 >= 0.5 ? 1 : 0} of the fit: these checkpoints do not pin the limit down`;
  if (!(f.r2 >= 0.5)) return `the law explains little of the curve (R^2 ${Number(f.r2.toPrecision(2))})`;
  return null;
}

/** The limit in words: "0.113 [0.105, 0.121]" when identified, else "not identified (A0 <= 0.133)". */
export function limitText(f: FitRow | undefined): string {
  if (!f) return 'no fit';
  if (fitIssue(f)) {
    const b = num(f.limit_bound ?? null);
    return b !== null && f.limit_bound_side ? `not identified (A0 ${f.limit_bound_side === 'upper' ? '<=' : '>='} ${fmt(b)})` : 'not identified';
  }
  return withInterval(f.A0, f.A0_lo, f.A0_hi);
}

/** Whether a fit's limit (and what is derived from it) may be printed as a number. */
export function identified(f: FitRow | undefined): boolean {
  return !!f && !fitIssue(f);
}

/** Whether a checkpoint (tokens) is one the law was fitted to (the warmup rule drops early ones). */
export function usedInFit(fit: FitRow | undefined, tokens: number): boolean {
  if (!fit) return false;
  return convertTokens(tokens, 'tokens', fit.unit) >= fit.D_min * (1 - 1e-9);
}

/** The last row of a run's trajectory of one method. */
export function lastOf(results: Results, runId: string, method = 'ppl-p-stable'): (TrajectoryRow & { tokens: number }) | undefined {
  const t = trajectoryOf(results, runId, method);
  return t[t.length - 1];
}

/** Groups values by a key, keeping first-seen order. */
export function groupBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    if (!m.has(k)) m.set(k, []);
    m.get(k)!.push(x);
  }
  return m;
}

export type VerdictValue = 'agrees' | 'disagrees' | 'partly' | 'inconclusive' | 'not measured';

/** One claim of the paper against this run, with the rule that decided it. */
export interface Verdict {
  finding: Finding;
  claim: string;
  paper: string;
  ours: string;
  verdict: VerdictValue;
  rule: string;
}

/** The verdicts as a markdown table (for the closing section). */
export function verdictTable(vs: readonly Verdict[]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return [
    '| claim | paper | this run | verdict | decided by |',
    '|---|---|---|---|---|',
    ...vs.map((v) => `| ${esc(v.claim)} | ${esc(v.paper)} | ${esc(v.ours)} | **${v.verdict}** | ${esc(v.rule)} |`),
  ].join('\n');
}

/** The profile line every closing section starts with. */
export function profileLine(results: Results): string {
  const runs = results.measurements.length;
  return `Profile **${results.profile.name}** (${results.profile.description}); ${runs} measured run${runs === 1 ? '' : 's'}, ` +
    `${results.profile.measure.evalTokens} evaluation tokens per measurement.`;
}

/** The runs as table rows (what a notebook shows first: which models it is about). */
export function runRows(runs: readonly RunInfo[]): Row[] {
  return runs.map((r) => ({
    model: r.label, act: activationLabel(r.act), d: r.d, layers: r.layers, d_over_l: Number(r.dOverL.toPrecision(3)), non_embedding_params: r.params,
    training_tokens: r.tokens, tokens_per_param: Number((r.tokens / r.params).toPrecision(3)), seed: r.seed,
  }));
}

export interface NamedFigure { name: string; spec: TopLevelSpec }

/**
 * One finding of the paper (or one analysis of it with its own notebook section): where its runs come
 * from, its figures, its verdicts and its closing narrative. registry.ts lists them all.
 */
export interface FindingDef {
  /** Unique key, and the prefix of its figures' names in lower case ('F1-early' -> 'f1-early-...'). */
  id: string;
  /** The paper's finding it belongs to: its verdicts carry this tag, as do the profile runs it needs (lib/experiments/profiles.ts). */
  tag: Finding;
  title: string;
  /** The notebook that shows it. */
  notebook: string;
  runs(results: Results): RunInfo[];
  figures(results: Results): NamedFigure[];
  verdicts(results: Results): Verdict[];
  narrative(results: Results): string;
}
