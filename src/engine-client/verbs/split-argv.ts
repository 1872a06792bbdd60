/**
 * docker's argument rule for `run` and `exec`: flags come before the first positional argument
 * (IMAGE / CONTAINER); everything after it belongs to the container's command, even words that
 * look like flags (`tsd run busybox sh -c 'echo hi'`). Also expands grouped short booleans
 * (`-it`, `-dit`). Pure; oclif then parses only the flag part.
 */
export interface FlagShapes {
  /** Long and short names (without dashes) of flags that take a value. */
  withValue: Set<string>;
  /** Short names of boolean flags, for grouped forms like -it. */
  booleanShorts: Set<string>;
}

export interface SplitArgv {
  flags: string[];
  /** The first positional argument and everything after it. */
  rest: string[];
}

export function splitArgv(argv: string[], shapes: FlagShapes): SplitArgv {
  const flags: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return { flags, rest: argv.slice(i + 1) };
    if (!arg.startsWith('-') || arg === '-') return { flags, rest: argv.slice(i) };
    if (arg.startsWith('--')) {
      flags.push(arg);
      if (!arg.includes('=') && shapes.withValue.has(arg.slice(2)) && i + 1 < argv.length) flags.push(argv[++i]!);
      continue;
    }
    const letters = arg.slice(1);
    if (letters.length > 1 && [...letters].every((letter) => shapes.booleanShorts.has(letter))) {
      flags.push(...[...letters].map((letter) => `-${letter}`));
      continue;
    }
    flags.push(arg);
    if (letters.length === 1 && shapes.withValue.has(letters) && i + 1 < argv.length) flags.push(argv[++i]!);
  }
  return { flags, rest: [] };
}

/** Flag shapes from an oclif flags definition. */
export function shapesOf(definition: Record<string, { type: string; char?: string }>): FlagShapes {
  const withValue = new Set<string>();
  const booleanShorts = new Set<string>();
  for (const [name, flag] of Object.entries(definition)) {
    if (flag.type === 'option') {
      withValue.add(name);
      if (flag.char !== undefined) withValue.add(flag.char);
    } else if (flag.char !== undefined) {
      booleanShorts.add(flag.char);
    }
  }
  return { withValue, booleanShorts };
}
