/**
 * The shim's command line as containerd 1.6 builds it (Go's flag package syntax):
 *   containerd-shim-tsd-v2 -namespace NS -address SOCK -publish-binary BIN -id ID [-debug] start
 *   containerd-shim-tsd-v2 -namespace NS -address SOCK -publish-binary BIN -id ID -bundle DIR delete
 * and, internally, the server the start verb spawns: … -socket PATH serve.
 * Accepted forms: -flag value, -flag=value, --flag value; booleans need no value.
 */
import { TsdError } from '../api/errors.js';

export type Action = 'start' | 'delete' | 'serve' | 'version';

export interface ShimFlags {
  namespace: string;
  id: string;
  address: string;
  publishBinary: string;
  bundle: string;
  socket: string;
  debug: boolean;
  action: Action;
}

const STRING_FLAGS = { namespace: 'namespace', id: 'id', address: 'address', 'publish-binary': 'publishBinary', bundle: 'bundle', socket: 'socket' } as const;

export function parseFlags(argv: readonly string[]): ShimFlags {
  const flags: ShimFlags = { namespace: '', id: '', address: '', publishBinary: 'containerd', bundle: '', socket: '', debug: false, action: 'serve' };
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq === -1 ? body : body.slice(0, eq);
    if (name === 'debug') flags.debug = eq === -1 || body.slice(eq + 1) !== 'false';
    else if (name === 'v' || name === 'version') flags.action = 'version';
    else if (name in STRING_FLAGS) {
      const value = eq === -1 ? argv[++i] : body.slice(eq + 1);
      if (value === undefined) throw new TsdError('invalid-argument', `flag needs an argument: -${name}`);
      flags[STRING_FLAGS[name as keyof typeof STRING_FLAGS]] = value;
    } else throw new TsdError('invalid-argument', `flag provided but not defined: -${name}`);
  }
  if (flags.action === 'version') return flags;
  const action = positional[0] ?? 'serve';
  if (action !== 'start' && action !== 'delete' && action !== 'serve') throw new TsdError('invalid-argument', `unknown action "${action}" (start, delete)`);
  flags.action = action;
  if (!flags.namespace) throw new TsdError('invalid-argument', 'shim namespace cannot be empty');
  return flags;
}
