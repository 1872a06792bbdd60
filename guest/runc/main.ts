/**
 * tsd-runc: a runc-compatible OCI runtime. Parses runc's global flags, dispatches the verb from
 * the table in cli/verbs.ts, and maps errors to runc's convention: the message on stderr (and as
 * an "error" entry in --log), exit status 1.
 */
import { asTsdError, TsdError } from '../api/errors.js';
import { parseArgs, type FlagSpec } from './cli/args.js';
import { Logger } from './cli/log.js';
import { VERB_SUMMARY, VERBS } from './cli/verbs.js';
import { StateStore } from './state/store.js';
import { mark, reportTiming } from './cli/timing.js';
import { takePreforkedHelperFromEnv } from './process/preforked-env.js';

mark('main');
takePreforkedHelperFromEnv();

export const DEFAULT_ROOT = '/run/tsd-runc';
const VERSION = '0.1.0';

const GLOBAL_FLAGS: readonly FlagSpec[] = [
  { name: 'root', type: 'string', usage: `directory holding the containers' state (default "${DEFAULT_ROOT}")` },
  { name: 'log', type: 'string', usage: 'write the runtime\'s log to this file instead of stderr' },
  { name: 'log-format', type: 'string', usage: 'log format: text (default) or json' },
  { name: 'debug', type: 'bool', usage: 'log debug messages too' },
  { name: 'systemd-cgroup', type: 'bool', usage: 'not supported: cgroups are managed directly' },
  { name: 'rootless', type: 'string', usage: 'tolerate cgroup permission errors: true, false or auto' },
  { name: 'criu', type: 'string', usage: 'not supported (checkpoint/restore)' },
  { name: 'help', type: 'bool', aliases: ['h'], usage: 'show help' },
  { name: 'version', type: 'bool', aliases: ['v'], usage: 'print the version' },
];

async function main(argv: string[]): Promise<number> {
  let log = new Logger(undefined, 'text', false);
  try {
    const { flags, args } = parseArgs(argv, GLOBAL_FLAGS);
    const format = (flags['log-format'] as string | undefined) ?? 'text';
    if (format !== 'text' && format !== 'json') throw new TsdError('invalid-argument', `invalid log-format: ${format}`);
    log = new Logger(flags.log as string | undefined, format, Boolean(flags.debug));
    if (flags.version) {
      process.stdout.write(`tsd-runc version ${VERSION}\nspec: 1.2.0\nnode: ${process.version}\n`);
      return 0;
    }
    const [verbName, ...rest] = args;
    if (flags.help || !verbName) {
      process.stdout.write(usage());
      return flags.help ? 0 : 1;
    }
    if (flags['systemd-cgroup']) {
      throw new TsdError('unsupported', '--systemd-cgroup is not supported by tsd-runc: cgroups are managed directly (cgroupfs)');
    }
    const load = VERBS[verbName];
    if (!load) throw new TsdError('invalid-argument', `No help topic for '${verbName}'`);
    const { verb } = await load();
    mark('verb-loaded');
    const parsed = parseArgs(rest, [...verb.flags, { name: 'help', type: 'bool', aliases: ['h'], usage: 'show help' }]);
    if (parsed.flags.help) {
      process.stdout.write(`${verb.usage}\n`);
      return 0;
    }
    const root = (flags.root as string | undefined) ?? DEFAULT_ROOT;
    log.debug(`${verbName} ${rest.join(' ')}`);
    return await verb.run({ root, log, store: new StateStore(root) }, parsed.flags, parsed.args);
  } catch (error) {
    const e = asTsdError(error);
    log.error(e.message);
    if (log.file) process.stderr.write(`${e.message}\n`);
    if (e.code === 'internal' && e.cause instanceof Error) log.debug(e.cause.stack ?? String(e.cause));
    return 1;
  }
}

function usage(): string {
  const verbs = Object.entries(VERB_SUMMARY).map(([name, text]) => `   ${name.padEnd(10)} ${text}`);
  const flags = GLOBAL_FLAGS.map((f) => `   --${f.name.padEnd(16)} ${f.usage}`);
  return `NAME:\n   tsd-runc - an OCI runtime (runc-compatible)\n\nUSAGE:\n   tsd-runc [global options] command [command options] [arguments...]\n\nCOMMANDS:\n${verbs.join('\n')}\n\nGLOBAL OPTIONS:\n${flags.join('\n')}\n`;
}

// Exit explicitly: stdout and stderr are synchronous for files and pipes on Linux, and nothing else may keep us alive.
// No top-level await: the build runs this file as a CommonJS script (boot.ts).
void main(process.argv.slice(2)).then((code) => {
  mark('done');
  reportTiming();
  process.exit(code);
});
