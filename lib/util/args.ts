// Command-line parsing on node:util parseArgs, with bad flags turned into one-line errors.
import { parseArgs, ParseArgsConfig } from 'node:util';
import { UserError } from './errors';

type OptionSpec = { type: 'string' | 'boolean'; default?: string | boolean; short?: string; multiple?: false };
/** Values of parsed flags, typed from the option table (string or boolean, absent when not given). */
export type ParsedFlags<T extends Record<string, OptionSpec>> = { [K in keyof T]?: T[K]['type'] extends 'boolean' ? boolean : string };

/**
 * Flags of every command: --name VALUE or --name=VALUE, booleans bare. A bad flag is one line that
 * names it and points to --help (or, for a command without one, to its usage line).
 */
export function parseCli<T extends Record<string, OptionSpec>>(argv: string[], options: T, usage: string): { values: ParsedFlags<T>; positionals: string[] } {
  try {
    const r = parseArgs({ args: argv, options: options as NonNullable<ParseArgsConfig['options']>, strict: true, allowPositionals: true });
    return { values: r.values as ParsedFlags<T>, positionals: r.positionals };
  } catch (e) {
    throw new UserError(`${flagError(e as Error & { code?: string })} (${'help' in options ? 'see --help' : usage.split('\n')[0]})`);
  }
}

/** node's parseArgs refusal in this project's words, on one line (its own spans several). */
function flagError(e: Error & { code?: string }): string {
  const flag = (/'([^']+)'/.exec(e.message)?.[1] ?? '').replace(/ <value>$/, '');
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown argument "${flag}"`;
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    if (/argument missing/.test(e.message)) return `${flag} needs a value`;
    if (/ambiguous/.test(e.message)) return `${flag} needs a value (write ${flag}=VALUE for one that starts with '-')`;
    if (/does not take an argument/.test(e.message)) return `${flag} takes no value`;
  }
  return e.message.split('\n')[0];
}

/** A number flag: accepts 2e6, 2M, 500k; undefined when absent. */
export function numberFlag(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const m = /^([0-9.eE+-]+)([kKmMbB]?)$/.exec(v.trim());
  const mult: Record<string, number> = { '': 1, k: 1e3, m: 1e6, b: 1e9 };
  const n = m ? Number(m[1]) * mult[m[2].toLowerCase()] : NaN;
  if (!Number.isFinite(n)) throw new UserError(`--${name} expects a number (like 2e6 or 2M), got '${v}'`);
  return n;
}
