/**
 * Host-mode engine launcher: `npm run engine -- --root DIR --socket PATH [--config-file FILE]
 * [--node PATH] [--containerd SOCK] [--debug]`. Runs containerd and dockerd in the foreground (restarting one that
 * exits on its own) until SIGINT/SIGTERM, then stops both. Prints `engine ready: unix://PATH` once the Engine API answers.
 *
 * dockerd gets <root>/daemon.json: the user's --config-file with this engine's own bridge name,
 * bridge subnet and address pools added where the file does not set them (engine-layout.ts).
 */
import { mkdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { asTsdError, TsdError } from '../api/errors.js';
import { writeFileAtomic } from '../lib/atomic-file.js';
import { parseDaemonJson } from '../dockerd/config/daemon-json.js';
import { chooseNode, compileCacheDir } from './guest-node.js';
import { engineLayout, networkDefaults } from './engine-layout.js';
import { startEngine } from './supervisor.js';

const USAGE = 'usage: npm run engine -- --root DIR --socket PATH [--config-file FILE] [--node PATH] [--containerd SOCK] [--debug]';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      root: { type: 'string' },
      socket: { type: 'string' },
      'config-file': { type: 'string' },
      node: { type: 'string' },
      // An already running containerd to use instead of starting bin/tsd-containerd (like dockerd's --containerd).
      containerd: { type: 'string' },
      debug: { type: 'boolean', short: 'D' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (!values.root || !values.socket) throw new TsdError('invalid-argument', `--root and --socket are required\n${USAGE}`);
  // Signals are taken from the start: one during startup stops the engine once it is up.
  const signalled = new Promise<string>((done) => {
    process.once('SIGINT', () => done('SIGINT'));
    process.once('SIGTERM', () => done('SIGTERM'));
    process.once('SIGHUP', () => done('SIGHUP')); // the terminal closed: the daemons (own groups) would stay
  });
  const layout = engineLayout(values.root);
  await mkdir(layout.root, { recursive: true });
  await writeDaemonJson(layout.daemonJson, layout.root, values['config-file']);
  const node = chooseNode(values.node);
  const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  for (const bundle of ['containerd.mjs', 'dockerd.mjs']) {
    if (!existsSync(join(projectRoot, 'dist', 'guest', bundle))) {
      throw new TsdError('not-found', `dist/guest/${bundle} does not exist: run \`npm run build\` first (the engine runs the guest bundles)`);
    }
  }
  process.stdout.write(`engine: node ${node.path} (${node.source}), root ${layout.root}\n`);
  const engine = await startEngine({
    layout,
    socketPath: resolve(values.socket),
    node: node.path,
    compileCache: compileCacheDir(),
    projectRoot,
    dockerdArgs: values.debug ? ['--debug'] : [],
    containerdAddress: values.containerd ? resolve(values.containerd) : undefined,
  });
  process.stdout.write(`engine ready: unix://${resolve(values.socket)}\n`);
  const outcome = await Promise.race([signalled.then((signal) => ({ signal })), engine.failed.then((exit) => ({ exit }))]);
  await engine.stop();
  if ('exit' in outcome) {
    process.stderr.write(`engine: ${outcome.exit.name} exited (${outcome.exit.code ?? outcome.exit.signal}) and could not be kept running; stopped the rest\n`);
    return 1;
  }
  process.stdout.write(`engine: ${outcome.signal}, stopped\n`);
  return 0;
}

/** The user's daemon.json (validated here so errors name their file) plus the network defaults. */
async function writeDaemonJson(target: string, root: string, userFile: string | undefined): Promise<void> {
  let user: Record<string, unknown> = {};
  if (userFile) {
    const text = await readFile(userFile, 'utf8').catch((error: Error) => {
      throw new TsdError('invalid-argument', `cannot read --config-file ${userFile}: ${error.message}`);
    });
    try {
      parseDaemonJson(text);
    } catch (error) {
      throw new TsdError('invalid-argument', `unable to configure the Docker daemon with file ${userFile}: ${(error as Error).message}`);
    }
    user = JSON.parse(text) as Record<string, unknown>;
  }
  // live-restore on unless the user's file says otherwise: like the guest VM's dockerd, the
  // launcher restarts a dockerd that dies, and the containers run on across that (dockerd's own
  // default, and this engine's when run alone, is off).
  const merged = { ...networkDefaults(root), 'live-restore': true, ...user };
  await writeFileAtomic(target, JSON.stringify(merged, null, 2) + '\n');
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`engine: ${asTsdError(error).message}\n`);
    process.exit(1);
  },
);
