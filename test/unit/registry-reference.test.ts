import test from 'ava';
import { TsdError } from '../../guest/api/errors.js';
import {
  familiarReference,
  formatReference,
  isIndexMediaType,
  isManifestMediaType,
  MediaType,
  parseDigest,
  parseReference,
} from '../../guest/api/oci-image-spec.js';

const HEX = 'a'.repeat(64);
const DIGEST = `sha256:${HEX}`;

const normalised: Array<[string, string]> = [
  ['nginx', 'docker.io/library/nginx:latest'],
  ['nginx:1.25', 'docker.io/library/nginx:1.25'],
  ['nginx:1.25-alpine', 'docker.io/library/nginx:1.25-alpine'],
  ['library/nginx', 'docker.io/library/nginx:latest'],
  ['docker.io/nginx', 'docker.io/library/nginx:latest'],
  ['index.docker.io/nginx', 'docker.io/library/nginx:latest'],
  ['index.docker.io/user/app:v1', 'docker.io/user/app:v1'],
  ['user/app', 'docker.io/user/app:latest'],
  ['user/app/sub', 'docker.io/user/app/sub:latest'],
  ['localhost/app', 'localhost/app:latest'],
  ['localhost:5000/app', 'localhost:5000/app:latest'],
  ['localhost:5000', 'docker.io/library/localhost:5000'],
  ['host:5000/a/b@' + DIGEST, `host:5000/a/b@${DIGEST}`],
  ['host.example.com/a/b:t@' + DIGEST, `host.example.com/a/b:t@${DIGEST}`],
  ['127.0.0.1:5000/busybox', '127.0.0.1:5000/busybox:latest'],
  ['[::1]:5000/busybox:1', '[::1]:5000/busybox:1'],
  ['Registry.Example/app', 'Registry.Example/app:latest'],
  ['Foo/bar', 'Foo/bar:latest'],
  ['nginx@' + DIGEST, `docker.io/library/nginx@${DIGEST}`],
  ['a__b/c-d/e.f_g', 'docker.io/a__b/c-d/e.f_g:latest'],
  ['a---b', 'docker.io/library/a---b:latest'],
  ['busybox:_tag', 'docker.io/library/busybox:_tag'],
  ['my-registry.local:443/team/app:2024.01.01', 'my-registry.local:443/team/app:2024.01.01'],
];

for (const [input, expected] of normalised) {
  test(`normalises ${input}`, (t) => {
    t.is(formatReference(parseReference(input)), expected);
  });
}

test('parts of a parsed reference', (t) => {
  t.deepEqual(parseReference(`host:5000/a/b:t@${DIGEST}`), { domain: 'host:5000', path: 'a/b', tag: 't', digest: DIGEST });
  t.deepEqual(parseReference('nginx'), { domain: 'docker.io', path: 'library/nginx', tag: 'latest' });
  t.deepEqual(parseReference(`nginx@${DIGEST}`), { domain: 'docker.io', path: 'library/nginx', digest: DIGEST });
});

const invalidInputs: Array<[string, RegExp]> = [
  ['', /empty reference/],
  [HEX, /image ID/],
  ['Nginx', /must be lowercase/],
  ['docker.io/User/app', /must be lowercase/],
  ['nginx:', /invalid reference format/],
  ['nginx:-tag', /tag "-tag"/],
  ['nginx:.tag', /tag "\.tag"/],
  ['nginx:' + 't'.repeat(129), /tag/],
  ['nginx@sha256:abc', /invalid reference format|digest/],
  ['nginx@sha256:' + 'A'.repeat(64), /lowercase hex/],
  ['nginx@md5:' + 'a'.repeat(32), /unsupported or missing algorithm/],
  ['a//b', /repository name/],
  ['a/b/', /repository name/],
  ['_a', /repository name/],
  ['a_', /repository name/],
  ['a..b', /repository name/],
  ['-host.com/a', /not a valid registry host/],
  ['host:port/a', /invalid reference format/],
  ['a b', /invalid reference format/],
  ['docker.io/' + 'a'.repeat(250), /255 characters/],
];

for (const [input, message] of invalidInputs) {
  test(`rejects ${JSON.stringify(input.length > 40 ? input.slice(0, 40) + '…' : input)}`, (t) => {
    const error = t.throws(() => parseReference(input), { instanceOf: TsdError });
    t.is(error?.code, 'invalid-argument');
    t.regex(error?.message ?? '', message);
  });
}

test('familiar form strips docker.io and library/', (t) => {
  t.is(familiarReference(parseReference('nginx')), 'nginx:latest');
  t.is(familiarReference(parseReference('docker.io/user/app:1')), 'user/app:1');
  t.is(familiarReference(parseReference('docker.io/library/a/b')), 'library/a/b:latest');
  t.is(familiarReference(parseReference('localhost:5000/x@' + DIGEST)), `localhost:5000/x@${DIGEST}`);
});

test('parseDigest accepts sha256/sha512 and rejects the rest', (t) => {
  t.deepEqual(parseDigest(DIGEST), { algorithm: 'sha256', hex: HEX });
  t.is(parseDigest(`sha512:${'0'.repeat(128)}`).algorithm, 'sha512');
  for (const bad of ['sha256', `sha256:${'a'.repeat(63)}`, `:${HEX}`, `SHA256:${HEX}`, `sha256:${'g'.repeat(64)}`]) {
    t.throws(() => parseDigest(bad), { instanceOf: TsdError }, bad);
  }
});

test('media type classes', (t) => {
  t.true(isManifestMediaType(MediaType.dockerManifest));
  t.true(isManifestMediaType(MediaType.ociManifest));
  t.false(isManifestMediaType(MediaType.ociIndex));
  t.true(isIndexMediaType(MediaType.dockerManifestList));
  t.true(isIndexMediaType(MediaType.ociIndex));
});
