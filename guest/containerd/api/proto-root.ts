/**
 * containerd's API as one protobufjs Root holding every .proto file of the proto dir (services,
 * ttrpc protocols, events, types): one copy of each type, shared by the gRPC services, the ttrpc
 * protocols and the event payloads.
 *
 * Beside the bundle the Root comes from a descriptor JSON (DESCRIPTOR_FILE) that
 * scripts/build-guest.mjs writes once at build time: parsing the .proto text at every daemon start
 * costs CPU and leaves the parser's garbage behind. In the source tree (tests under tsx), where no
 * descriptor exists, the .proto files are parsed; both ways give the same Root.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import protobuf from 'protobufjs';
import { writeFileAtomicSync } from '../../lib/atomic-file.js';
import { protoDir } from './proto-dir.js';

/** The prebuilt descriptor's name inside the proto dir. */
export const DESCRIPTOR_FILE = 'api.json';

/** The Root of the proto dir: its prebuilt descriptor when there is one, else its parsed .proto files. */
export function loadProtoRoot(dir: string = protoDir()): protobuf.Root {
  const descriptor = join(dir, DESCRIPTOR_FILE);
  if (existsSync(descriptor)) return rootFromDescriptor(JSON.parse(readFileSync(descriptor, 'utf8')) as protobuf.INamespace);
  return parseProtoFiles(dir);
}

/** What protobufjs keeps private: editions features (packed encoding, presence…) of a whole tree. */
interface FeatureResolving {
  _edition?: string;
  _resolveFeaturesRecursive?: (edition?: string) => unknown;
}

/**
 * The descriptor's Root, its references resolved when first used. Root.fromJSON resolves every
 * type of every service (resolveAll): about 60% of the load's CPU at each daemon start (~14 of 23 ms
 * on the host's Node 24; the guest's CPU is ~10x slower), for types most starts never touch. The
 * build already checked that every reference resolves (writeDescriptor); a type's fields resolve
 * when it is first encoded or decoded, a method's types when its definition is built. Only the
 * editions features are resolved up front, because a field's wire format (packed or not) reads them.
 * Without that protobufjs method (a future version), everything is resolved as fromJSON would.
 */
function rootFromDescriptor(json: protobuf.INamespace): protobuf.Root {
  const root = new protobuf.Root();
  if (json.options) root.setOptions(json.options);
  root.addJSON(json.nested ?? {});
  const features = root as unknown as FeatureResolving;
  if (typeof features._resolveFeaturesRecursive === 'function') features._resolveFeaturesRecursive(features._edition);
  else root.resolveAll();
  return root;
}

/** Every .proto file under dir, parsed with camelCase field names (the message objects' convention). */
export function parseProtoFiles(dir: string): protobuf.Root {
  dir = resolve(dir);
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (isAbsolute(target) ? target : join(dir, target));
  root.loadSync(protoFiles(dir).map((file) => join(dir, file)), { keepCase: false });
  return root;
}

/** Build step: parses the proto dir, checks every reference resolves, and writes its descriptor into it. */
export function writeDescriptor(dir: string): string {
  const root = parseProtoFiles(dir);
  root.resolveAll();
  const target = join(dir, DESCRIPTOR_FILE);
  writeFileAtomicSync(target, JSON.stringify(root.toJSON()));
  return target;
}

function protoFiles(dir: string): string[] {
  const files: string[] = [];
  const walk = (at: string): void => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.proto')) files.push(relative(dir, path));
    }
  };
  walk(dir);
  return files.sort();
}
