// Token units. The paper states its fits with D in billions of tokens; users' curves usually come in raw
// tokens. Every conversion lives here so no caller ever multiplies by 1e9 by hand.
import { UserError } from '../util/errors';

export type TokenUnit = 'tokens' | 'M' | 'B';

export const TOKEN_UNITS: readonly TokenUnit[] = ['tokens', 'M', 'B'];

/** How many raw tokens one of each unit holds. */
export const TOKENS_PER_UNIT: Readonly<Record<TokenUnit, number>> = { tokens: 1, M: 1e6, B: 1e9 };

export function isTokenUnit(u: unknown): u is TokenUnit {
  return typeof u === 'string' && (TOKEN_UNITS as readonly string[]).includes(u);
}

/** Parses a unit name as a user may type it ("B", "b", "billions", "tokens", "M", "millions"). */
export function parseTokenUnit(s: string): TokenUnit {
  const k = s.trim().toLowerCase();
  if (k === 'tokens' || k === 'token' || k === 't') return 'tokens';
  if (k === 'm' || k === 'millions' || k === 'million') return 'M';
  if (k === 'b' || k === 'billions' || k === 'billion') return 'B';
  throw new UserError(`unknown token unit "${s}" (expected tokens, M or B)`);
}

/** Converts one token count from unit `from` to unit `to`. */
export function convertTokens(value: number, from: TokenUnit, to: TokenUnit): number {
  if (from === to) return value;
  return (value * TOKENS_PER_UNIT[from]) / TOKENS_PER_UNIT[to];
}

export function convertTokensArray(values: readonly number[], from: TokenUnit, to: TokenUnit): number[] {
  return values.map((v) => convertTokens(v, from, to));
}

/** A slope dA/dD measured per `from` unit, re-expressed per `to` unit (the inverse of a count conversion). */
export function convertPerToken(slope: number, from: TokenUnit, to: TokenUnit): number {
  if (from === to) return slope;
  return (slope * TOKENS_PER_UNIT[to]) / TOKENS_PER_UNIT[from];
}
