/**
 * daemon.json (`--config-file`): dockerd's keys, validated with errors that name the key.
 * Unknown keys are refused as dockerd does ("the following directives don't match any
 * configuration option: …").
 */
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { TsdError } from '../../api/errors.js';
import { validateLogOptions } from '../containers/io/log-attrs.js';
import { LOG_LEVELS, type AddressPool, type EngineConfig, type LogLevel } from './engine-config.js';

/** daemon.json key → config field, for every key this engine understands. */
export const DAEMON_JSON_KEYS = {
  hosts: 'hosts',
  'data-root': 'dataRoot',
  'exec-root': 'execRoot',
  containerd: 'containerdAddress',
  'containerd-namespace': 'containerdNamespace',
  'registry-mirrors': 'registryMirrors',
  'insecure-registries': 'insecureRegistries',
  'docker-hub-origin': 'dockerHubOrigin',
  'live-restore': 'liveRestore',
  'log-driver': 'logDriver',
  'log-opts': 'logOpts',
  bridge: 'bridge',
  bip: 'bip',
  'default-address-pools': 'defaultAddressPools',
  dns: 'dns',
  'log-level': 'logLevel',
  debug: 'debug',
} as const satisfies Record<string, keyof EngineConfig>;

export type DaemonJsonKey = keyof typeof DAEMON_JSON_KEYS;

export async function readDaemonJson(path: string): Promise<Partial<Record<DaemonJsonKey, unknown>>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new TsdError('invalid-argument', `unable to configure the Docker daemon with file ${path}: ${(error as Error).message}`);
  }
  try {
    return parseDaemonJson(text);
  } catch (error) {
    throw new TsdError('invalid-argument', `unable to configure the Docker daemon with file ${path}: ${(error as Error).message}`);
  }
}

/** Parses and validates the file's text; returns the config fields it sets, keyed by daemon.json key. */
export function parseDaemonJson(text: string): Partial<Record<DaemonJsonKey, unknown>> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new TsdError('invalid-argument', `invalid JSON: ${(error as Error).message}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new TsdError('invalid-argument', 'the file must hold a JSON object');
  const unknown = Object.keys(raw).filter((key) => !(key in DAEMON_JSON_KEYS));
  if (unknown.length > 0) {
    throw new TsdError('invalid-argument', `the following directives don't match any configuration option: ${unknown.join(', ')}`);
  }
  const values: Partial<Record<DaemonJsonKey, unknown>> = {};
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    values[key as DaemonJsonKey] = validateValue(key as DaemonJsonKey, value);
  }
  // The options are checked against the driver's list, as dockerd checks them at start.
  if (values['log-opts']) validateLogOptions((values['log-driver'] as string | undefined) ?? 'json-file', values['log-opts'] as Record<string, string>);
  return values;
}

/** Checks one value (from the file or a flag) and returns it in the config's type. */
export function validateValue(key: DaemonJsonKey, value: unknown): unknown {
  const fail = (why: string): never => {
    throw new TsdError('invalid-argument', `invalid value for "${key}": ${why}`);
  };
  const string = (): string => (typeof value === 'string' ? value : fail(`want a string, got ${JSON.stringify(value)}`));
  const strings = (): string[] =>
    Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : fail(`want a list of strings, got ${JSON.stringify(value)}`);
  switch (key) {
    case 'data-root':
    case 'exec-root':
    case 'containerd': {
      const path = string();
      if (!path.startsWith('/')) fail(`"${path}" is not an absolute path`);
      return path;
    }
    case 'hosts':
      return strings().map((host) => (host.startsWith('unix:///') ? host : fail(`"${host}": only unix:///absolute/path sockets are supported`)));
    case 'containerd-namespace':
    case 'bridge': {
      const name = string();
      if (key === 'bridge' && (name.length === 0 || name.length > 15 || !/^[A-Za-z0-9_.-]+$/.test(name))) {
        fail(`"${name}" is not a valid interface name (1-15 of letters, digits, _ . -)`);
      }
      return name;
    }
    case 'registry-mirrors':
      return strings().map((mirror) => validateMirror(mirror, fail));
    case 'insecure-registries':
      return strings();
    case 'dns':
      return strings().map((address) => (isIP(address) ? address : fail(`"${address}" is not an IP address`)));
    case 'bip': {
      const cidr = string();
      if (!isCidr(cidr)) fail(`"${cidr}" is not an IPv4 address with a prefix length (e.g. 172.17.0.1/16)`);
      return cidr;
    }
    case 'default-address-pools': {
      if (!Array.isArray(value)) fail('want a list of {"base": CIDR, "size": N}');
      return (value as unknown[]).map((pool, i): AddressPool => {
        const entry = pool as Partial<AddressPool>;
        if (!entry || typeof entry.base !== 'string' || !isCidr(entry.base)) fail(`entry ${i}: "base" must be an IPv4 CIDR`);
        if (typeof entry.size !== 'number' || !Number.isInteger(entry.size) || entry.size < 1 || entry.size > 32) fail(`entry ${i}: "size" must be a prefix length 1-32`);
        if (entry.size! < Number(entry.base!.split('/')[1])) fail(`entry ${i}: size /${entry.size} is larger than its base ${entry.base}`);
        return { base: entry.base!, size: entry.size! };
      });
    }
    case 'live-restore':
    case 'docker-hub-origin':
    case 'debug':
      return typeof value === 'boolean' ? value : fail(`want true or false, got ${JSON.stringify(value)}`);
    case 'log-driver': {
      const driver = string();
      return driver === 'json-file' || driver === 'none' ? driver : fail(`logger: no log driver named '${driver}' is registered`);
    }
    case 'log-opts': {
      if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.values(value).every((v) => typeof v === 'string')) {
        fail(`want an object of strings, got ${JSON.stringify(value)}`);
      }
      return { ...(value as Record<string, string>) };
    }
    case 'log-level': {
      const level = string();
      return LOG_LEVELS.includes(level as LogLevel) ? level : fail(`"${level}" is not one of ${LOG_LEVELS.join(', ')}`);
    }
  }
}

function validateMirror(mirror: string, fail: (why: string) => never): string {
  let url: URL;
  try {
    url = new URL(mirror);
  } catch {
    return fail(`"${mirror}" is not a URL (want http:// or https://)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') fail(`"${mirror}": mirrors must be http:// or https:// URLs`);
  if (url.username || url.password) fail(`"${mirror}" contains credentials`);
  return mirror.replace(/\/+$/, '');
}

function isCidr(value: string): boolean {
  const [address, prefix, ...rest] = value.split('/');
  return rest.length === 0 && isIP(address ?? '') === 4 && /^\d+$/.test(prefix ?? '') && Number(prefix) <= 32;
}
