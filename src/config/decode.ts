/**
 * Step 1 of load → defaults → validate: the YAML document → a MachineFile, checking keys and
 * types. Values are checked after defaults (validate.ts), against the same source map.
 */
import { isScalar, type Document, type LineCounter, type Node } from 'yaml';
import type { MachineFile, MountEntry, PortForwardEntry } from './machine-file.js';
import { ACCELS, ARCHES, MACHINE_KEYS, MOUNT_KEYS, PORT_FORWARD_KEYS, PROTOS } from './machine-file.js';
import { keyPath, type ConfigIssue, type SourceMap } from './source.js';
import { YamlReader, describe } from './yaml-reader.js';

export interface Decoded {
  file: MachineFile;
  issues: ConfigIssue[];
  sourceMap: SourceMap;
}

/** Names other tools use for the same architectures. */
const ARCH_ALIASES: Record<string, (typeof ARCHES)[number]> = {
  amd64: 'x86_64',
  x64: 'x86_64',
  'x86-64': 'x86_64',
  arm64: 'aarch64',
};

type KeyReaders = { [K in keyof MachineFile]-?: (r: YamlReader, node: Node | null, path: string) => MachineFile[K] | undefined };

const TOP_LEVEL: KeyReaders = {
  arch: (r, node, path) => r.choice(node, path, ARCHES, 'architecture', ARCH_ALIASES),
  accel: (r, node, path) => r.choice(node, path, ACCELS, 'accelerator'),
  cpus: (r, node, path) => r.integer(node, path),
  memory: (r, node, path) => r.size(node, path, 'MiB'),
  disk: (r, node, path) => r.size(node, path, 'GiB'),
  mounts: (r, node, path) => r.list(node, path, (item, itemPath) => readMount(r, item, itemPath), 'mounts'),
  portForwards: (r, node, path) =>
    r.list(node, path, (item, itemPath) => readPortForward(r, item, itemPath), 'port forwards'),
  registryMirrors: (r, node, path) => r.list(node, path, r.string, 'URLs'),
  insecureRegistries: (r, node, path) => r.list(node, path, r.string, 'host:port strings'),
  dns: (r, node, path) => r.list(node, path, r.string, 'IP addresses'),
  env: (r, node, path) => readEnv(r, node, path),
  provision: (r, node, path) => r.list(node, path, r.string, 'shell commands'),
};

export function decodeMachineFile(doc: Document, lines: LineCounter): Decoded {
  const reader = new YamlReader(doc, lines);
  const file: MachineFile = {};
  const root = doc.contents as Node | null;
  // An empty document (or one that is just `~`) declares nothing: all defaults.
  const empty = root === null || (isScalar(root) && root.value === null);
  const fields = empty ? new Map<string, Node | null>() : reader.fields(root, '', MACHINE_KEYS, 'a mapping of keys such as "cpus: 2"');
  for (const [key, node] of fields ?? []) {
    if (node !== null) assign(file, key as keyof MachineFile, TOP_LEVEL[key as keyof MachineFile](reader, node, key));
  }
  return { file, issues: reader.issues, sourceMap: reader.sourceMap };
}

function assign<K extends keyof MachineFile>(file: MachineFile, key: K, value: MachineFile[K] | undefined): void {
  if (value !== undefined) file[key] = value;
}

function readMount(r: YamlReader, node: Node | null, path: string): MountEntry | undefined {
  const fields = r.fields(node, path, MOUNT_KEYS, 'a mount such as {location: "~/src", writable: true}');
  if (!fields) return undefined;
  const location = required(r, fields, node, path, 'location', r.string, 'the host folder to share, e.g. "~/src"');
  if (location === undefined) return undefined;
  const mount: MountEntry = { location };
  const mountPoint = optional(fields, path, 'mountPoint', r.string);
  const writable = optional(fields, path, 'writable', r.boolean);
  if (mountPoint !== undefined) mount.mountPoint = mountPoint;
  if (writable !== undefined) mount.writable = writable;
  return mount;
}

function readPortForward(r: YamlReader, node: Node | null, path: string): PortForwardEntry | undefined {
  const fields = r.fields(node, path, PORT_FORWARD_KEYS, 'a port forward such as {guestPort: 8080}');
  if (!fields) return undefined;
  const guestPort = required(r, fields, node, path, 'guestPort', r.integer, 'the port in the guest, 1-65535');
  if (guestPort === undefined) return undefined;
  const forward: PortForwardEntry = { guestPort };
  const hostPort = optional(fields, path, 'hostPort', r.integer);
  const hostIp = optional(fields, path, 'hostIp', r.string);
  const proto = optional(fields, path, 'proto', (n, p) => r.choice(n, p, PROTOS, 'protocol'));
  if (hostPort !== undefined) forward.hostPort = hostPort;
  if (hostIp !== undefined) forward.hostIp = hostIp;
  if (proto !== undefined) forward.proto = proto;
  return forward;
}

function readEnv(r: YamlReader, node: Node | null, path: string): Record<string, string> | undefined {
  const fields = r.fields(node, path, 'any', 'a mapping of variable names to values, such as {HTTP_PROXY: "…"}');
  if (!fields) return undefined;
  const env: Record<string, string> = {};
  for (const [name, value] of fields) {
    if (isScalar(value) && typeof value.value === 'string') {
      env[name] = value.value;
      continue;
    }
    // YAML reads `DEBUG: 1` as a number and `DEBUG: true` as a boolean; say how to keep the text.
    const hint = isScalar(value) ? `; quote it: ${name}: "${value.source ?? String(value.value)}"` : '';
    const empty = value === null ? `; write ${name}: "" for an empty value` : '';
    r.problem(value, keyPath(path, name), `expected a string, found ${describe(value)}${hint}${empty}`);
  }
  return env;
}

function optional<T>(fields: Map<string, Node | null>, path: string, key: string, read: (node: Node | null, path: string) => T | undefined): T | undefined {
  const node = fields.get(key);
  return node === undefined || node === null ? undefined : read(node, keyPath(path, key));
}

function required<T>(
  r: YamlReader,
  fields: Map<string, Node | null>,
  node: Node | null,
  path: string,
  key: string,
  read: (node: Node | null, path: string) => T | undefined,
  meaning: string,
): T | undefined {
  if (!fields.get(key)) return r.problem(node, path, `missing "${key}" (${meaning})`);
  return optional(fields, path, key, read);
}
