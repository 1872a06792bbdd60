/**
 * tsd-containerd's API with a gRPC client of our own (same .proto files) for what ctr does not
 * expose: status codes, Publish/Subscribe filters, raw content Write sequences, lease resources,
 * and diff Apply of crafted layers (whiteouts over a real overlay mount, path traversal refused).
 */
import test from 'ava';
import { status, type ServiceError } from '@grpc/grpc-js';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeEvent, encodeEvent } from '../../guest/containerd/api/event-types.js';
import { ContainerdClient } from '../helpers/containerd-client.js';
import { ContainerdDaemon } from '../helpers/containerd-daemon.js';
import { buildTar, gzip } from '../helpers/tar-builder.js';

const sha256 = (data: Buffer | string): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

async function started(t: { teardown(fn: () => unknown): void }): Promise<{ daemon: ContainerdDaemon; client: ContainerdClient }> {
  const daemon = await ContainerdDaemon.start();
  const client = new ContainerdClient(daemon.address);
  t.teardown(async () => {
    client.close();
    await daemon.stop();
  });
  return { daemon, client };
}

async function codeOf(promise: Promise<unknown>): Promise<{ code: status; details: string }> {
  try {
    await promise;
  } catch (error) {
    return { code: (error as ServiceError).code, details: (error as ServiceError).details };
  }
  throw new Error('expected the call to fail');
}

/** Ingests `data` through the Write API in one COMMIT message. */
async function ingest(client: ContainerdClient, ref: string, data: Buffer): Promise<string> {
  const [response] = await client.bidi<{ digest: string }>('containerd.services.content.v1.Content', 'Write', [
    { action: 'COMMIT', ref, total: data.length, expected: sha256(data), offset: 0, data },
  ]);
  return (response as { digest: string }).digest;
}

test('calls that need a namespace fail with FailedPrecondition without one', async (t) => {
  const { daemon } = await started(t);
  const bare = new ContainerdClient(daemon.address, null);
  t.teardown(() => bare.close());
  const failure = await codeOf(bare.unary('containerd.services.images.v1.Images', 'List', { filters: [] }));
  t.is(failure.code, status.FAILED_PRECONDITION);
  t.regex(failure.details, /namespace is required/);
  // Namespace-free services answer.
  t.like(await bare.unary('containerd.services.version.v1.Version', 'Version', {}), { version: '0.1.0-tsd' });
});

test('content Write: resume at the current offset, OutOfRange elsewhere, AlreadyExists once stored', async (t) => {
  const { client } = await started(t);
  const data = Buffer.from('0123456789');
  const content = 'containerd.services.content.v1.Content' as const;
  const first = await client.bidi<{ offset: number }>(content, 'Write', [
    { action: 'STAT', ref: 'r1', total: 10, expected: sha256(data) },
    { action: 'WRITE', ref: 'r1', offset: 0, data: data.subarray(0, 4) },
  ]);
  t.is(first[1]?.offset, 4);
  t.like(await client.unary(content, 'Status', { ref: 'r1' }), { status: { ref: 'r1', offset: 4, total: 10 } });
  const wrongOffset = await codeOf(client.bidi(content, 'Write', [{ action: 'WRITE', ref: 'r1', offset: 7, data: data.subarray(7) }]));
  t.is(wrongOffset.code, status.OUT_OF_RANGE);
  t.regex(wrongOffset.details, /write @7 must occur at current offset 4/);
  const done = await client.bidi<{ offset: number; digest: string }>(content, 'Write', [
    { action: 'COMMIT', ref: 'r1', offset: 4, data: data.subarray(4), total: 10, expected: sha256(data) },
  ]);
  t.like(done[0], { offset: 10, digest: sha256(data) });
  const again = await codeOf(client.bidi(content, 'Write', [{ action: 'STAT', ref: 'r2', expected: sha256(data) }]));
  t.is(again.code, status.ALREADY_EXISTS);
  const badDigest = await codeOf(client.unary(content, 'Info', { digest: 'sha256:xyz' }));
  t.is(badDigest.code, status.INVALID_ARGUMENT);
  const unknown = await codeOf(client.unary(content, 'Info', { digest: sha256('nothing') }));
  t.is(unknown.code, status.NOT_FOUND);
});

test('events: Publish reaches subscribers whose filters match; Forward keeps the namespace', async (t) => {
  const { client } = await started(t);
  const events = 'containerd.services.events.v1.Events' as const;
  const seen: Array<{ topic: string; namespace: string; event: { type_url: string; value: Buffer } }> = [];
  const subscription = client.stream(events, 'Subscribe', { filters: ['topic~=^/custom/'] }, (e: (typeof seen)[number]) => seen.push(e));
  t.teardown(() => subscription.cancel());
  const { event } = encodeEvent('namespaceCreate', { name: 'payload', labels: {} });
  for (let i = 0; i < 50 && seen.length === 0; i++) {
    await client.unary(events, 'Publish', { topic: '/other/thing', event });
    await client.unary(events, 'Publish', { topic: '/custom/thing', event });
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  t.true(seen.length > 0);
  t.true(seen.every((e) => e.topic === '/custom/thing' && e.namespace === 'default'));
  t.deepEqual(decodeEvent(seen[0]!.event), { name: 'payload', labels: {} });
  await client.unary(events, 'Forward', { envelope: { namespace: 'elsewhere', topic: '/custom/forwarded', event } });
  for (let i = 0; i < 50 && !seen.some((e) => e.topic === '/custom/forwarded'); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  t.like(seen.find((e) => e.topic === '/custom/forwarded'), { namespace: 'elsewhere' });
  const badTopic = await codeOf(client.unary(events, 'Publish', { topic: 'no-slash', event }));
  t.is(badTopic.code, status.INVALID_ARGUMENT);
});

test('leases hold the content and snapshots created under them', async (t) => {
  const { client } = await started(t);
  const leases = 'containerd.services.leases.v1.Leases' as const;
  await client.unary(leases, 'Create', { id: 'pull-1', labels: { why: 'test' } });
  const data = Buffer.from('leased bytes');
  const content = 'containerd.services.content.v1.Content' as const;
  const digest = await ingest(client, 'leased', data);
  await client.unary(leases, 'AddResource', { id: 'pull-1', resource: { id: digest, type: 'content' } });
  await client.unary('containerd.services.snapshots.v1.Snapshots', 'Prepare', { snapshotter: 'overlayfs', key: 'held', parent: '', labels: {} }, { 'containerd-lease': 'pull-1' });
  const { resources } = await client.unary<{ resources: Array<{ id: string; type: string }> }>(leases, 'ListResources', { id: 'pull-1' });
  t.deepEqual(resources.sort((a, b) => a.type.localeCompare(b.type)), [{ id: digest, type: 'content' }, { id: 'held', type: 'snapshots/overlayfs' }]);
  const badType = await codeOf(client.unary(leases, 'AddResource', { id: 'pull-1', resource: { id: 'x', type: 'volumes' } }));
  t.is(badType.code, status.INVALID_ARGUMENT);
  const noLease = await codeOf(client.unary(leases, 'ListResources', { id: 'nope' }));
  t.is(noLease.code, status.NOT_FOUND);
  t.truthy(await client.unary(content, 'Info', { digest }));
});

test('diff Apply: layers stack with whiteouts on a real overlay mount; traversal is refused', async (t) => {
  const { client } = await started(t);
  const snapshots = 'containerd.services.snapshots.v1.Snapshots' as const;
  const diff = 'containerd.services.diff.v1.Diff' as const;
  const lower = gzip(await buildTar([
    { name: 'etc/', type: 'directory' },
    { name: 'etc/keep', content: 'keep\n' },
    { name: 'etc/gone', content: 'gone\n' },
    { name: 'opaque/', type: 'directory' },
    { name: 'opaque/old', content: 'old\n' },
  ]));
  const upper = await buildTar([
    { name: 'etc/.wh.gone', content: '' },
    { name: 'opaque/', type: 'directory' },
    { name: 'opaque/.wh..wh..opq', content: '' },
    { name: 'opaque/new', content: 'new\n' },
  ]);
  const lowerDigest = await ingest(client, 'lower', lower);
  const upperDigest = await ingest(client, 'upper', upper);

  const { mounts: baseMounts } = await client.unary<{ mounts: unknown[] }>(snapshots, 'Prepare', { snapshotter: 'overlayfs', key: 'x1', parent: '', labels: {} });
  const applied = await client.unary<{ applied: { digest: string } }>(diff, 'Apply', {
    diff: { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: lowerDigest, size: lower.length }, mounts: baseMounts,
  });
  t.is(applied.applied.digest, sha256(execFileSync('gzip', ['-dc'], { input: lower })));
  await client.unary(snapshots, 'Commit', { snapshotter: 'overlayfs', name: 'l1', key: 'x1', labels: {} });
  const { mounts: topMounts } = await client.unary<{ mounts: unknown[] }>(snapshots, 'Prepare', { snapshotter: 'overlayfs', key: 'x2', parent: 'l1', labels: {} });
  const second = await client.unary<{ applied: { digest: string; mediaType: string } }>(diff, 'Apply', {
    diff: { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: upperDigest, size: upper.length }, mounts: topMounts,
  });
  t.like(second.applied, { digest: sha256(upper), mediaType: 'application/vnd.oci.image.layer.v1.tar' });
  await client.unary(snapshots, 'Commit', { snapshotter: 'overlayfs', name: 'l2', key: 'x2', labels: {} });

  await client.unary(snapshots, 'View', { snapshotter: 'overlayfs', key: 'v', parent: 'l2', labels: {} });
  const { mounts } = await client.unary<{ mounts: Array<{ type: string; source: string; options: string[] }> }>(snapshots, 'Mounts', { snapshotter: 'overlayfs', key: 'v' });
  const target = mkdtempSync(join(tmpdir(), 'tsdtest-ctrd-diff-'));
  const [mount] = mounts as [{ type: string; source: string; options: string[] }];
  execFileSync('mount', ['-t', mount.type, '-o', mount.options.join(','), mount.source, target]);
  try {
    t.is(readFileSync(join(target, 'etc', 'keep'), 'utf8'), 'keep\n');
    t.false(existsSync(join(target, 'etc', 'gone')));
    t.deepEqual(readdirSync(join(target, 'opaque')), ['new']);
  } finally {
    execFileSync('umount', [target]);
    rmSync(target, { recursive: true, force: true });
  }

  const evil = await buildTar([{ name: '../escaped', content: 'out\n' }]);
  const evilDigest = await ingest(client, 'evil', evil);
  const { mounts: evilMounts } = await client.unary<{ mounts: unknown[] }>(snapshots, 'Prepare', { snapshotter: 'overlayfs', key: 'x3', parent: 'l2', labels: {} });
  const refused = await codeOf(client.unary(diff, 'Apply', { diff: { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: evilDigest, size: evil.length }, mounts: evilMounts }));
  t.is(refused.code, status.INVALID_ARGUMENT);
  t.regex(refused.details, /escapes|traversal/);
  const unknownLayer = await codeOf(client.unary(diff, 'Apply', { diff: { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256('none'), size: 1 }, mounts: evilMounts }));
  t.is(unknownLayer.code, status.NOT_FOUND);
});
