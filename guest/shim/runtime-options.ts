/**
 * Which OCI runtime binary and state root a task uses. containerd passes the container's runtime
 * options as an Any in Create: containerd.runc.v1.Options (BinaryName, Root — what dockerd and
 * the CRI send), or runtimeoptions.v1.Options (`ctr run --runtime-config-path FILE`), whose file
 * holds TOML lines such as `BinaryName = "/usr/sbin/runc"`. Default: tsd-runc beside this shim.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { TsdError } from '../api/errors.js';
import { decodeMessage } from '../ttrpc/index.js';
import { shimProtos } from './shim-protos.js';

export interface RuntimeChoice {
  binary: string;
  /** runc's --root for this namespace. */
  root: string;
}

export interface AnyMessage {
  typeUrl: string;
  value: Uint8Array;
}

/** containerd's shims keep runc state under /run/containerd/runc/<namespace>. */
export const DEFAULT_RUNTIME_ROOT = '/run/containerd/runc';

const RUNTIME_OPTIONS = protobuf
  .parse('syntax = "proto3"; package runtimeoptions.v1; message Options { string type_url = 1; string config_path = 2; string config_body = 3; }', { keepCase: false })
  .root.lookupType('runtimeoptions.v1.Options');

export function defaultRuntimeBinary(): string {
  if (process.env['TSD_SHIM_RUNTIME']) return process.env['TSD_SHIM_RUNTIME'];
  // dist/guest/shim.mjs (bundle) or guest/shim/runtime-options.ts (source) -> <repo>/bin/tsd-runc
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [join(here, '..', '..', 'bin', 'tsd-runc'), join(here, '..', 'bin', 'tsd-runc')]) {
    if (existsSync(candidate)) return resolve(candidate);
  }
  return 'tsd-runc';
}

export function chooseRuntime(namespace: string, options: AnyMessage | null | undefined): RuntimeChoice {
  let binary = '';
  let root = '';
  const typeName = options?.typeUrl.replace(/^.*\//, '') ?? '';
  if (options && typeName === 'containerd.runc.v1.Options') {
    const decoded = decodeMessage<{ binaryName: string; root: string }>(shimProtos().lookupType('containerd.runc.v1.Options'), options.value);
    binary = decoded.binaryName;
    root = decoded.root;
  } else if (options && typeName === 'runtimeoptions.v1.Options') {
    const decoded = RUNTIME_OPTIONS.toObject(RUNTIME_OPTIONS.decode(options.value)) as { configPath?: string; configBody?: Uint8Array };
    const text = decoded.configBody?.length ? Buffer.from(decoded.configBody).toString() : decoded.configPath ? readConfig(decoded.configPath) : '';
    const config = parseTomlStrings(text);
    binary = config['BinaryName'] ?? '';
    root = config['Root'] ?? '';
  } else if (options && typeName) {
    throw new TsdError('invalid-argument', `unsupported runtime options type ${options.typeUrl}`);
  }
  return { binary: binary || defaultRuntimeBinary(), root: join(root || DEFAULT_RUNTIME_ROOT, namespace) };
}

function readConfig(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new TsdError('invalid-argument', `cannot read the runtime config ${path}: ${(error as Error).message}`);
  }
}

/** `Key = "value"` lines (the string keys of a flat TOML table); other lines are ignored. */
export function parseTomlStrings(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Za-z_][\w]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(#.*)?$/.exec(line);
    if (match) out[match[1]!] = JSON.parse(`"${match[2]!}"`) as string;
  }
  return out;
}
