/**
 * The prebuilt API descriptor (what the bundles load) gives the same protobufjs Root as parsing the
 * .proto files (what the source tree loads), and the gRPC definitions built from it keep the
 * message conventions handlers and clients rely on (camelCase, enums as names, defaults, int64 as numbers).
 */
import test from 'ava';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import protobuf from 'protobufjs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serviceDefinition } from '../../guest/containerd/api/grpc-definitions.js';
import { loadProtoRoot, parseProtoFiles, writeDescriptor } from '../../guest/containerd/api/proto-root.js';

const SOURCE = 'guest/containerd/api/proto';

test('the descriptor written at build time loads into the same Root as the parsed .proto files', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsdtest-api-'));
  try {
    cpSync(SOURCE, dir, { recursive: true });
    const parsed = parseProtoFiles(dir);
    writeDescriptor(dir);
    const loaded = loadProtoRoot(dir);
    t.deepEqual(loaded.toJSON(), parsed.toJSON());
    // Every protocol is in the one Root: gRPC services, ttrpc services, events, runc options.
    for (const name of ['containerd.services.tasks.v1.Tasks', 'containerd.task.v2.Task', 'containerd.services.events.ttrpc.v1.Events']) {
      t.truthy(loaded.lookupService(name), name);
    }
    t.truthy(loaded.lookupType('containerd.events.TaskExit'));
    t.truthy(loaded.lookupType('google.protobuf.Any').fields['type_url']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a service definition routes by path and decodes messages the way handlers expect', (t) => {
  const tasks = serviceDefinition(parseProtoFiles(SOURCE), 'containerd.services.tasks.v1.Tasks');
  const get = tasks['Get'];
  if (!get) return t.fail('no Get method');
  t.is(get.path, '/containerd.services.tasks.v1.Tasks/Get');
  t.is(get.originalName, 'get');
  t.false(get.requestStream);
  t.false(get.responseStream);
  const bytes = get.responseSerialize({ process: { containerId: 'c1', pid: 42, status: 'RUNNING', exitedAt: { seconds: 1700000000, nanos: 5 } } });
  t.deepEqual(get.responseDeserialize(bytes), {
    process: { containerId: 'c1', id: '', pid: 42, status: 'RUNNING', stdin: '', stdout: '', stderr: '', terminal: false, exitStatus: 0, exitedAt: { seconds: 1700000000, nanos: 5 } },
  });
  t.throws(() => get.requestSerialize([] as unknown as object), { message: /array/ });
  const subscribe = serviceDefinition(parseProtoFiles(SOURCE), 'containerd.services.events.v1.Events')['Subscribe'];
  t.true(subscribe?.responseStream);
});

test('the descriptor Root resolves types on first use into the same wire format as a fully resolved Root', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsdtest-api-'));
  try {
    cpSync(SOURCE, dir, { recursive: true });
    writeDescriptor(dir);
    const loaded = loadProtoRoot(dir);
    const full = parseProtoFiles(dir).resolveAll();
    let fields = 0;
    const walk = (ns: protobuf.NamespaceBase): void => {
      for (const object of ns.nestedArray) {
        if (object instanceof protobuf.Type) {
          const lazy = loaded.lookupType(object.fullName).setup();
          for (const field of object.fieldsArray) {
            const other = lazy.fields[field.name]!;
            fields++;
            const view = (f: protobuf.Field) => [f.packed, f.required, f.repeated, f.map, f.long, f.bytes, f.resolvedType?.fullName, JSON.stringify(f.typeDefault)];
            t.deepEqual(view(other), view(field), `${object.fullName}.${field.name}`);
          }
        }
        if (object instanceof protobuf.Namespace) walk(object);
      }
    };
    walk(full);
    t.true(fields > 100);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
