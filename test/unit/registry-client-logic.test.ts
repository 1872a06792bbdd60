import test from 'ava';
import { TsdError } from '../../guest/api/errors.js';
import { MediaType, type Descriptor } from '../../guest/api/oci-image-spec.js';
import { parseWwwAuthenticate } from '../../guest/containerd/registry/auth.js';
import { endpointsFor } from '../../guest/containerd/registry/endpoints.js';
import { parseManifestBytes } from '../../guest/containerd/registry/manifests.js';
import { normalizePlatform, parsePlatform, platformRank, selectManifest } from '../../guest/containerd/registry/platforms.js';
import { createHash } from 'node:crypto';

test('WWW-Authenticate: Bearer with quoted params, Basic, several challenges, escapes', (t) => {
  t.deepEqual(parseWwwAuthenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"'), [
    { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/nginx:pull' } },
  ]);
  t.deepEqual(parseWwwAuthenticate('Basic realm="Registry Realm"'), [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]);
  t.deepEqual(parseWwwAuthenticate('Basic realm="a", Bearer realm="b",service=s'), [
    { scheme: 'basic', params: { realm: 'a' } },
    { scheme: 'bearer', params: { realm: 'b', service: 's' } },
  ]);
  t.deepEqual(parseWwwAuthenticate('Bearer realm="say \\"hi\\""')[0]?.params.realm, 'say "hi"');
  t.deepEqual(parseWwwAuthenticate(''), []);
});

test('endpoints: mirrors first, origin last, docker.io default, http for loopback and insecure', (t) => {
  const options = {
    mirrors: { 'docker.io': ['http://10.0.2.2:5000/', 'mirror.example.com/v2/'] },
    insecureRegistries: ['reg.lan:5000'],
  };
  t.deepEqual(endpointsFor('docker.io', options), [
    { baseUrl: 'http://10.0.2.2:5000', host: '10.0.2.2:5000', registry: 'docker.io', mirror: true },
    { baseUrl: 'https://mirror.example.com', host: 'mirror.example.com', registry: 'docker.io', mirror: true },
    { baseUrl: 'https://registry-1.docker.io', host: 'registry-1.docker.io', registry: 'docker.io', mirror: false },
  ]);
  t.deepEqual(endpointsFor('reg.lan:5000', options), [{ baseUrl: 'http://reg.lan:5000', host: 'reg.lan:5000', registry: 'reg.lan:5000', mirror: false }]);
  t.is(endpointsFor('127.0.0.1:5000', {})[0]?.baseUrl, 'http://127.0.0.1:5000');
  t.is(endpointsFor('localhost:5000', {})[0]?.baseUrl, 'http://localhost:5000');
  t.is(endpointsFor('quay.io', {})[0]?.baseUrl, 'https://quay.io');
  t.deepEqual(endpointsFor('docker.io', { ...options, origins: { 'docker.io': null } }).map((e) => e.mirror), [true, true]);
  t.is(endpointsFor('docker.io', { origins: { 'docker.io': 'http://127.0.0.1:1' } })[0]?.baseUrl, 'http://127.0.0.1:1');
  t.throws(() => endpointsFor('docker.io', { origins: { 'docker.io': null } }), { instanceOf: TsdError, message: /no mirrors/ });
  t.throws(() => endpointsFor('x', { mirrors: { x: ['ftp://a'] } }), { message: /only http and https/ });
});

test('platforms: normalisation and matching like containerd', (t) => {
  t.deepEqual(normalizePlatform({ os: 'linux', architecture: 'aarch64' }), { os: 'linux', architecture: 'arm64', variant: '' });
  t.deepEqual(normalizePlatform({ os: 'linux', architecture: 'arm64', variant: 'v8' }), { os: 'linux', architecture: 'arm64', variant: '' });
  t.deepEqual(normalizePlatform({ os: 'linux', architecture: 'x86_64' }), { os: 'linux', architecture: 'amd64', variant: '' });
  t.deepEqual(normalizePlatform({ os: 'linux', architecture: 'armhf' }), { os: 'linux', architecture: 'arm', variant: 'v7' });
  t.is(platformRank({ os: 'linux', architecture: 'arm64' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }), 0);
  t.is(platformRank({ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }), undefined);
  t.is(platformRank({ os: 'linux', architecture: 'arm', variant: 'v7' }, { os: 'linux', architecture: 'arm', variant: 'v6' }), 1);
  t.is(platformRank({ os: 'linux', architecture: 'arm', variant: 'v6' }, { os: 'linux', architecture: 'arm', variant: 'v7' }), undefined);
  t.is(platformRank({ os: 'linux', architecture: 'amd64' }, { os: 'windows', architecture: 'amd64' }), undefined);
  t.deepEqual(parsePlatform('linux/arm64/v8'), { os: 'linux', architecture: 'arm64', variant: 'v8' });
  t.throws(() => parsePlatform('linux'), { message: /want os\/arch/ });
});

test('selectManifest prefers the exact variant, skips attestations, names what is available', (t) => {
  const entry = (architecture: string, variant?: string, os = 'linux'): Descriptor => ({
    mediaType: MediaType.ociManifest, digest: `sha256:${architecture}${variant ?? ''}${os}`, size: 1,
    platform: { os, architecture, ...(variant ? { variant } : {}) },
  });
  const entries = [entry('amd64'), entry('arm', 'v6'), entry('arm', 'v7'), entry('arm64', 'v8'), entry('unknown', undefined, 'unknown')];
  t.is(selectManifest(entries, { os: 'linux', architecture: 'arm', variant: 'v7' }, 'x').digest, 'sha256:armv7linux');
  t.is(selectManifest(entries, { os: 'linux', architecture: 'aarch64' }, 'x').digest, 'sha256:arm64v8linux');
  const error = t.throws(() => selectManifest(entries, { os: 'linux', architecture: 'riscv64' }, 'index y'), { instanceOf: TsdError });
  t.is(error?.code, 'not-found');
  t.is(error?.message, 'no matching manifest for linux/riscv64 in index y; available platforms: linux/amd64, linux/arm/v6, linux/arm/v7, linux/arm64/v8');
});

test('manifest bytes are verified against digest and size before parsing', (t) => {
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.dockerManifest, config: { digest: 'x' }, layers: [] }));
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const ok = parseManifestBytes(bytes, { mediaType: MediaType.dockerManifest, digest, size: bytes.length }, undefined, 'm');
  t.is(ok.kind, 'manifest');
  t.throws(() => parseManifestBytes(Buffer.concat([bytes, Buffer.from(' ')]), { mediaType: MediaType.dockerManifest, digest, size: bytes.length }, undefined, 'm'), {
    message: /content has digest sha256:[a-f0-9]+, expected/,
  });
  t.throws(() => parseManifestBytes(bytes, { mediaType: MediaType.dockerManifest, digest, size: 3 }, undefined, 'm'), { message: /expected 3/ });
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [] }));
  const indexDigest = `sha256:${createHash('sha256').update(index).digest('hex')}`;
  t.is(parseManifestBytes(index, { mediaType: 'application/json', digest: indexDigest, size: index.length }, undefined, 'i').kind, 'index');
  const v1 = Buffer.from(JSON.stringify({ schemaVersion: 1, layers: [] }));
  const v1Digest = `sha256:${createHash('sha256').update(v1).digest('hex')}`;
  t.throws(() => parseManifestBytes(v1, { mediaType: MediaType.ociManifest, digest: v1Digest, size: v1.length }, undefined, 'v1'), { message: /schemaVersion 1/ });
});
