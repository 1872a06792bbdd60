/**
 * dockerd's command line → configuration. Flags and daemon.json merge like dockerd: a key set in
 * both is an error naming both values ("the following directives are specified both as a flag and
 * in the configuration file: …"); everything else falls back to the defaults.
 */
import { parseArgs } from 'node:util';
import { TsdError } from '../../api/errors.js';
import { DAEMON_JSON_KEYS, readDaemonJson, validateValue, type DaemonJsonKey } from './daemon-json.js';
import { DEFAULT_CONFIG, type EngineConfig } from './engine-config.js';

export const USAGE = `usage: dockerd [-H unix:///PATH]... [--data-root DIR] [--exec-root DIR] [--containerd SOCK]
  [--config-file FILE] [--registry-mirror URL]... [--insecure-registry HOST[:PORT]]... [--bridge NAME]
  [--bip CIDR] [--dns IP]... [--live-restore] [--log-driver NAME] [--log-opt KEY=VALUE]... [--no-docker-hub-origin] [-D|--debug] [-l|--log-level LEVEL]`;

/** Parses argv (without node and script) and the config file it names into the engine's configuration. */
export async function loadEngineConfig(argv: string[], defaults: EngineConfig = DEFAULT_CONFIG): Promise<EngineConfig> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        host: { type: 'string', short: 'H', multiple: true },
        socket: { type: 'string' },
        'data-root': { type: 'string' },
        'exec-root': { type: 'string' },
        containerd: { type: 'string' },
        'containerd-namespace': { type: 'string' },
        'config-file': { type: 'string' },
        'registry-mirror': { type: 'string', multiple: true },
        'insecure-registry': { type: 'string', multiple: true },
        bridge: { type: 'string', short: 'b' },
        bip: { type: 'string' },
        dns: { type: 'string', multiple: true },
        'live-restore': { type: 'boolean' },
        'log-driver': { type: 'string' },
        'log-opt': { type: 'string', multiple: true },
        'no-docker-hub-origin': { type: 'boolean' },
        debug: { type: 'boolean', short: 'D' },
        'log-level': { type: 'string', short: 'l' },
      },
      strict: true,
    }));
  } catch (error) {
    throw new TsdError('invalid-argument', `${(error as Error).message}\n${USAGE}`);
  }
  const hosts = [...(values.host ?? []), ...(values.socket ? [`unix://${values.socket}`] : [])].map((h) => (h.startsWith('/') ? `unix://${h}` : h));
  const flags: Partial<Record<DaemonJsonKey, unknown>> = {
    hosts: hosts.length > 0 ? hosts : undefined,
    'data-root': values['data-root'],
    'exec-root': values['exec-root'],
    containerd: values.containerd,
    'containerd-namespace': values['containerd-namespace'],
    'registry-mirrors': values['registry-mirror'],
    'insecure-registries': values['insecure-registry'],
    bridge: values.bridge,
    bip: values.bip,
    dns: values.dns,
    'live-restore': values['live-restore'],
    'log-driver': values['log-driver'],
    'log-opts': values['log-opt'] ? keyValues(values['log-opt']) : undefined,
    'docker-hub-origin': values['no-docker-hub-origin'] ? false : undefined,
    debug: values.debug,
    'log-level': values['log-level'],
  };
  const fromFlags = Object.fromEntries(
    Object.entries(flags).filter(([, v]) => v !== undefined).map(([k, v]) => [k, validateValue(k as DaemonJsonKey, v)]),
  ) as Partial<Record<DaemonJsonKey, unknown>>;
  const fromFile = values['config-file'] ? await readDaemonJson(values['config-file']) : {};
  return mergeConfig(defaults, fromFlags, fromFile);
}

export function mergeConfig(
  defaults: EngineConfig, fromFlags: Partial<Record<DaemonJsonKey, unknown>>, fromFile: Partial<Record<DaemonJsonKey, unknown>>,
): EngineConfig {
  const conflicts = Object.keys(fromFlags).filter((key) => key in fromFile);
  if (conflicts.length > 0) {
    const detail = conflicts
      .map((key) => `${key}: (from flag: ${show(fromFlags[key as DaemonJsonKey])}, from file: ${show(fromFile[key as DaemonJsonKey])})`)
      .join(', ');
    throw new TsdError('invalid-argument', `the following directives are specified both as a flag and in the configuration file: ${detail}`);
  }
  const config: EngineConfig = { ...defaults };
  for (const [key, value] of Object.entries({ ...fromFile, ...fromFlags })) {
    (config as unknown as Record<string, unknown>)[DAEMON_JSON_KEYS[key as DaemonJsonKey]] = value;
  }
  if (config.debug) config.logLevel = 'debug';
  return config;
}

/** `--log-opt max-size=10m` (repeated) → { "max-size": "10m" }. */
function keyValues(pairs: string[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new TsdError('invalid-argument', `invalid key/value pair format in driver options: ${pair}`);
    result[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return result;
}

function show(value: unknown): string {
  return Array.isArray(value) ? `[${value.join(' ')}]` : String(value);
}
