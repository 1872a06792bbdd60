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
  if (existsSync(descriptor)) return protobuf.Root.fromJSON(JSON.parse(readFileSync(descriptor, 'utf8')) as protobuf.INamespace);
  return parseProtoFiles(dir);
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
