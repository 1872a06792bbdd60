/**
 * Command-line parsing in runc's style (urfave/cli): global flags before the verb, the verb's
 * flags after it, flags end at the first positional argument or "--". Long flags take one or two
 * dashes and "=value" or a separate value; booleans take no value (or "=true"/"=false").
 */
import { TsdError } from '../../api/errors.js';

export type FlagType = 'bool' | 'string' | 'strings' | 'int';

export interface FlagSpec {
  name: string;
  type: FlagType;
  aliases?: readonly string[];
  usage: string;
}

export type FlagValues = Record<string, boolean | string | string[] | number | undefined>;

export interface Parsed {
  flags: FlagValues;
  args: string[];
}

export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[], stopAtFirstArg = true): Parsed {
  const byName = new Map<string, FlagSpec>();
  for (const spec of specs) for (const name of [spec.name, ...(spec.aliases ?? [])]) byName.set(name, spec);
  const flags: FlagValues = {};
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      if (stopAtFirstArg) {
        args.push(...argv.slice(i));
        break;
      }
      args.push(arg);
      continue;
    }
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const spec = byName.get(name);
    if (!spec) throw new TsdError('invalid-argument', `flag provided but not defined: -${name}`);
    let value: string | undefined = eq >= 0 ? body.slice(eq + 1) : undefined;
    if (spec.type === 'bool') {
      flags[spec.name] = value === undefined ? true : value === 'true' || value === '1';
      continue;
    }
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new TsdError('invalid-argument', `flag needs an argument: -${name}`);
      value = argv[++i]!;
    }
    if (spec.type === 'int') {
      const n = Number(value);
      if (!Number.isInteger(n)) throw new TsdError('invalid-argument', `invalid value ${JSON.stringify(value)} for flag -${name}: parse error`);
      flags[spec.name] = n;
    } else if (spec.type === 'strings') {
      flags[spec.name] = [...((flags[spec.name] as string[] | undefined) ?? []), value];
    } else {
      flags[spec.name] = value;
    }
  }
  return { flags, args };
}

/** The verb's positional arguments: exactly `count`, or at least `count` with `atLeast`. */
export function requireArgs(verb: string, args: readonly string[], count: number, atLeast = false): void {
  if (atLeast ? args.length >= count : args.length === count) return;
  const expected = atLeast ? `at least ${count}` : `exactly ${count}`;
  throw new TsdError('invalid-argument', `"${verb}" requires ${expected} argument(s)`);
}
