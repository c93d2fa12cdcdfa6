// fit-law: fit the paper's activation-data law to a (tokens, activation_ratio) curve and compare it with
// the logarithmic and sigmoid baselines.
//   node dist/lib/cli/fit-law.js --input curve.csv|.jsonl --act relu|silu [--unit tokens|M|B] [--json]
// Bad input is one line on stderr and exit code 2 (runCli), never a stack trace.
import { parseCli } from '../util/args';
import { UserError, runCli } from '../util/errors';
import {
  compareBaselines,
  convergenceRow,
  convertTokens,
  fitLawDetailed,
  tokensToRatio,
  type TokensToRatio,
  parseTokenUnit,
  readCurveFile,
  type CompareRow,
  type LawFit,
  type TokenUnit,
  type UncertaintyMethod,
  type WarmupRule,
} from '../laws';

const USAGE = `usage: fit-law --input FILE.csv|.tsv|.jsonl|.json --act relu|silu [options]
  --unit tokens|M|B         unit of the tokens column (default tokens)
  --report-unit tokens|M|B  unit of D in the reported parameters (default B, the paper's)
  --warmup RULE             extremum (default: warmup-stage rows, points before the extremum, leading
                            outliers to the law; the output lists what was dropped) | none | first:N | min:X (X in --unit)
  --uncertainty METHOD      bootstrap-residual (default) | bootstrap-points | covariance | none
  --replicates N            bootstrap replicates (default 200)
  --seed N                  bootstrap seed (default 0)
  --eps X                   report the data needed to come within X of A0 (default 0.01)
  --n-params N              model parameters, to express that data as tokens per parameter
  --target-ratio R          also predict the tokens needed to reach activation ratio R, with an interval
                            (refused when the limit is not identified or R lies at or beyond it)
  --tokens-col NAME         tokens column (default tokens)
  --ratio-col NAME          activation ratio column (default activation_ratio)
  --json                    print JSON instead of tables`;

interface Args {
  input: string;
  act: 'relu' | 'silu';
  unit: TokenUnit;
  reportUnit: TokenUnit;
  warmup: WarmupRule;
  uncertainty: UncertaintyMethod;
  replicates: number;
  seed: number;
  eps: number;
  nParams?: number;
  targetRatio?: number;
  tokensCol?: string;
  ratioCol?: string;
  json: boolean;
}

function parseNumber(flag: string, v: string, integer: boolean, min: number): number {
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x) || (integer && !Number.isInteger(x)) || x < min) {
    throw new UserError(`${flag} expects ${integer ? 'an integer' : 'a number'} >= ${min} (got "${v}")`);
  }
  return x;
}

function parseWarmup(v: string, unit: TokenUnit): WarmupRule {
  if (v === 'extremum' || v === 'none') return v;
  const m = /^(first|min):(.+)$/.exec(v);
  if (m && m[1] === 'first') return { dropFirst: parseNumber('--warmup first:N', m[2], true, 0) };
  if (m && m[1] === 'min') return { minTokens: parseNumber('--warmup min:X', m[2], false, 0), unit };
  throw new UserError(`--warmup must be extremum, none, first:N or min:X (got "${v}")`);
}

const OPTIONS = {
  input: { type: 'string' }, act: { type: 'string' }, unit: { type: 'string' }, 'report-unit': { type: 'string' },
  warmup: { type: 'string' }, uncertainty: { type: 'string' }, replicates: { type: 'string' }, seed: { type: 'string' },
  eps: { type: 'string' }, 'n-params': { type: 'string' }, 'target-ratio': { type: 'string' }, 'tokens-col': { type: 'string' },
  'ratio-col': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
} as const;

/** Parsed arguments, or null when --help was asked for. */
export function parseArgs(argv: string[]): Args | null {
  const { values: v, positionals } = parseCli(argv, OPTIONS, USAGE);
  if (v.help) return null;
  if (positionals.length) throw new UserError(`unknown argument "${positionals[0]}" (see --help)`);
  const input = v.input;
  if (!input) throw new UserError('--input is required (a .csv or .jsonl file with tokens and activation_ratio)');
  const act = v.act;
  if (act !== 'relu' && act !== 'silu') throw new UserError(`--act must be relu or silu (got ${act === undefined ? 'nothing' : `"${act}"`})`);
  const unit = parseTokenUnit(v.unit ?? 'tokens');
  const uncertainty = v.uncertainty ?? 'bootstrap-residual';
  if (!['bootstrap-residual', 'bootstrap-points', 'covariance', 'none'].includes(uncertainty)) {
    throw new UserError(`--uncertainty must be bootstrap-residual, bootstrap-points, covariance or none (got "${uncertainty}")`);
  }
  const eps = parseNumber('--eps', v.eps ?? '0.01', false, 0);
  if (eps === 0) throw new UserError('--eps must be positive');
  return {
    input,
    act,
    unit,
    reportUnit: parseTokenUnit(v['report-unit'] ?? 'B'),
    warmup: parseWarmup(v.warmup ?? 'extremum', unit),
    uncertainty: uncertainty as UncertaintyMethod,
    replicates: parseNumber('--replicates', v.replicates ?? '200', true, 1),
    seed: parseNumber('--seed', v.seed ?? '0', true, 0),
    eps,
    nParams: v['n-params'] === undefined ? undefined : parseNumber('--n-params', v['n-params'], false, 1),
    targetRatio: v['target-ratio'] === undefined ? undefined : parseNumber('--target-ratio', v['target-ratio'], false, 0),
    tokensCol: v['tokens-col'],
    ratioCol: v['ratio-col'],
    json: v.json ?? false,
  };
}

function fmt(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (typeof v !== 'number') return String(v);
  if (Number.isNaN(v)) return 'nan';
  if (Number.isInteger(v) && Math.abs(v) < 1e6) return String(v);
  return v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e6) ? v.toExponential(3) : v.toPrecision(4);
}

function table(header: string[], rows: unknown[][]): string {
  const cells = [header, ...rows.map((r) => r.map(fmt))];
  const w = header.map((_, j) => Math.max(...cells.map((r) => r[j].length)));
  return cells.map((r) => r.map((c, j) => c.padEnd(w[j])).join('  ').trimEnd()).join('\n');
}

function render(fit: LawFit, cmp: CompareRow[], conv: ReturnType<typeof convergenceRow>): string {
  const u = fit.unit === 'tokens' ? 'tokens' : `${fit.unit} tokens`;
  const params: unknown[][] = [
    ['A0', fit.A0, fit.A0_lo, fit.A0_hi],
    ['A0 (' + fit.uncertainty_method.split(' (')[0] + ')', fit.A0, fit.A0_boot_lo, fit.A0_boot_hi],
    ['alpha', fit.alpha, fit.alpha_lo, fit.alpha_hi],
    ...(fit.b === null ? [] : [['b', fit.b, fit.b_lo, fit.b_hi]]),
    ['c', fit.c, fit.c_lo, fit.c_hi],
  ];
  const lvl = `${Math.round(fit.ci_level * 100)}%`;
  return [
    `${fit.law} law  A(D) = ${fit.formula}   (D in ${u})`,
    `points: ${fit.n_used} used (D ${fmt(fit.D_min)} to ${fmt(fit.D_max)} ${u}), ${fit.n_dropped} dropped as warmup (${fit.warmup_rule})`,
    table(['param', 'value', `${lvl} lo`, `${lvl} hi`], params),
    `MAE ${fmt(fit.mae)}  MSE ${fmt(fit.mse)}  R^2 ${fmt(fit.r2)}  solver: ${fit.solver_stop} after ${fit.iterations} iterations, best of ${fit.starts} starts`,
    `uncertainty: A0 by ${fit.A0_interval_method}; the other parameters by ${fit.uncertainty_method}`,
    fit.limit_identified
      ? `limit: A0 = ${fmt(fit.A0)} [${fmt(fit.A0_lo)}, ${fmt(fit.A0_hi)}] (identified)`
      : `limit: NOT IDENTIFIED; the data support only A0 ${fit.limit_bound_side === 'upper' ? '<=' : '>='} ${fmt(fit.limit_bound)}`,
    ...(fit.warnings ? [`warnings: ${fit.warnings}`] : []),
    '',
    'against the baselines (same points; AICc charges each parameter, lower is better):',
    table(
      ['law', 'formula', 'limit', 'MAE', 'MSE', 'R^2', 'params', 'AICc', 'rank MSE', 'rank AICc'],
      cmp.map((r) => [r.law, r.formula, r.limit, r.mae, r.mse, r.r2, r.n_params, r.aicc, r.rank_mse, r.rank_aicc]),
    ),
    '',
    // A quantity derived from a limit the data do not determine is no number either.
    fit.limit_identified
      ? `within ${fmt(conv.eps)} of A0 after ${fmt(conv.D_within_eps)} ${u} [${fmt(conv.D_within_eps_lo)}, ${fmt(conv.D_within_eps_hi)}]` +
        (conv.tokens_per_param_within_eps === null ? '' : ` = ${fmt(conv.tokens_per_param_within_eps)} tokens per parameter`)
      : `data to come within ${fmt(conv.eps)} of A0: not computed (the limit is not identified)`,
  ].join('\n');
}

function targetLine(t: TokensToRatio, fit: LawFit, nParams?: number): string {
  const u = fit.unit === 'tokens' ? 'tokens' : `${fit.unit} tokens`;
  const lvl = `${Math.round(t.level * 100)}%`;
  const tpp = nParams ? ` = ${fmt(convertTokens(t.D, fit.unit, 'tokens') / nParams)} tokens per parameter` : '';
  return `activation ratio ${fmt(t.target)} reached after ${fmt(t.D)} ${u}${tpp} [${lvl}: ${fmt(t.D_lo)}, ${t.D_hi === Infinity ? 'never' : fmt(t.D_hi)}]` +
    (t.n_never ? ` (${t.n_never} bootstrap replicates never reach it)` : '') + (t.D < fit.D_min ? ' (before the first fitted checkpoint)' : t.D > fit.D_max ? ' (extrapolated beyond the data)' : '');
}

/** Runs the command on `argv` and returns what it prints; bad input throws a UserError. */
export function fitLawCommand(argv: string[]): string {
  const args = parseArgs(argv);
  if (!args) return USAGE + '\n';
  const points = readCurveFile(args.input, { tokensColumn: args.tokensCol, ratioColumn: args.ratioCol });
  const common = { act: args.act, unit: args.unit, reportUnit: args.reportUnit, warmup: args.warmup };
  const detail = fitLawDetailed(points, { ...common, uncertainty: args.uncertainty, replicates: args.replicates, seed: args.seed });
  const cmp = compareBaselines(points, common);
  const conv = convergenceRow(detail, { eps: args.eps, nParams: args.nParams });
  // Refuses (one line, exit 2) when the limit is not identified or the target lies beyond it.
  const target = args.targetRatio === undefined ? null : tokensToRatio(detail, args.targetRatio, detail.fit.ci_level);
  if (args.json) return JSON.stringify({ fit: detail.fit, compare: cmp, convergence: conv, ...(target ? { target } : {}) }, null, 2) + '\n';
  return render(detail.fit, cmp, conv) + (target ? '\n' + targetLine(target, detail.fit, args.nParams) : '') + '\n';
}

export async function main(argv: string[]): Promise<void> {
  process.stdout.write(fitLawCommand(argv));
}

if (require.main === module) runCli(() => main(process.argv.slice(2)));
