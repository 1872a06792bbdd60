/**
 * Reads and validates the boot configuration the host passes through fw_cfg
 * (guest/api/guest-config.ts). Validation is strict: a wrong field names itself.
 */
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { TsdError } from '../api/errors.js';
import { GUEST_CONFIG_FW_CFG_NAME, GUEST_CONFIG_PATH, GUEST_CONFIG_VERSION, type GuestConfig, type GuestMount } from '../api/guest-config.js';

export async function readGuestConfig(path = GUEST_CONFIG_PATH): Promise<GuestConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new TsdError('not-found', `no boot configuration at ${path} (is qemu_fw_cfg loaded and -fw_cfg name=${GUEST_CONFIG_FW_CFG_NAME} given?)`, { cause: error });
  }
  return parseGuestConfig(text);
}

export function parseGuestConfig(text: string): GuestConfig {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new TsdError('invalid-argument', `guest config is not JSON: ${(error as Error).message}`);
  }
  const c = record(value, 'guest config');
  if (c.version !== GUEST_CONFIG_VERSION) {
    throw new TsdError('invalid-argument', `guest config version ${String(c.version)} is not supported (expected ${GUEST_CONFIG_VERSION})`);
  }
  const hostname = string(c.hostname, 'hostname');
  // The kernel takes up to 64 bytes; anything stricter is the host's business (the step that sets it is not fatal).
  if (hostname.length > 64 || /[\s/]/.test(hostname)) throw new TsdError('invalid-argument', `guest config hostname is not a valid host name: ${hostname}`);
  const hostTimeMs = c.hostTimeMs;
  if (typeof hostTimeMs !== 'number' || !Number.isFinite(hostTimeMs) || hostTimeMs <= 0) {
    throw new TsdError('invalid-argument', 'guest config hostTimeMs must be a positive number of ms since the epoch');
  }
  const hostKey = string(c.hostKey, 'hostKey');
  if (!hostKey.includes('PRIVATE KEY')) throw new TsdError('invalid-argument', 'guest config hostKey is not a private key in OpenSSH/PEM format');
  return {
    version: GUEST_CONFIG_VERSION,
    machineName: string(c.machineName, 'machineName'),
    hostname,
    authorizedKeys: strings(c.authorizedKeys, 'authorizedKeys'),
    hostKey,
    hostTimeMs,
    mounts: array(c.mounts, 'mounts').map((item, index) => mount(item, `mounts[${index}]`)),
    env: stringRecord(c.env, 'env'),
    provision: strings(c.provision, 'provision'),
    registryMirrors: strings(c.registryMirrors, 'registryMirrors'),
    insecureRegistries: strings(c.insecureRegistries, 'insecureRegistries'),
    // absent in configs written before the key existed
    ...(c.dns === undefined ? {} : { dns: addresses(c.dns, 'dns') }),
  };
}

function mount(value: unknown, where: string): GuestMount {
  const m = record(value, where);
  const guestPath = string(m.guestPath, `${where}.guestPath`);
  if (!guestPath.startsWith('/') || guestPath.split('/').includes('..')) {
    throw new TsdError('invalid-argument', `guest config ${where}.guestPath must be an absolute path without "..": ${guestPath}`);
  }
  if (typeof m.writable !== 'boolean') throw new TsdError('invalid-argument', `guest config ${where}.writable must be true or false`);
  return { tag: string(m.tag, `${where}.tag`), hostPath: string(m.hostPath, `${where}.hostPath`), guestPath, writable: m.writable };
}

function record(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TsdError('invalid-argument', `${where} must be an object`);
  return value as Record<string, unknown>;
}

function string(value: unknown, where: string): string {
  if (typeof value !== 'string' || value === '') throw new TsdError('invalid-argument', `guest config ${where} must be a non-empty string`);
  return value;
}

function array(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw new TsdError('invalid-argument', `guest config ${where} must be a list`);
  return value;
}

function strings(value: unknown, where: string): string[] {
  return array(value, where).map((item, index) => {
    if (typeof item !== 'string') throw new TsdError('invalid-argument', `guest config ${where}[${index}] must be a string`);
    return item;
  });
}

/** IPv4 addresses only: dockerd refuses anything else in daemon.json `dns` and would not start. */
function addresses(value: unknown, where: string): string[] {
  return strings(value, where).map((item, index) => {
    if (isIP(item) !== 4) throw new TsdError('invalid-argument', `guest config ${where}[${index}] must be an IPv4 address: ${item}`);
    return item;
  });
}

function stringRecord(value: unknown, where: string): Record<string, string> {
  const r = record(value, `guest config ${where}`);
  for (const [key, item] of Object.entries(r)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new TsdError('invalid-argument', `guest config ${where} has an invalid variable name: ${key}`);
    if (typeof item !== 'string') throw new TsdError('invalid-argument', `guest config ${where}.${key} must be a string`);
  }
  return r as Record<string, string>;
}
