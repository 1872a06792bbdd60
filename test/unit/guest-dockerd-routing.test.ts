import test from 'ava';
import { readFileSync } from 'node:fs';
import { TsdError } from '../../guest/api/errors.js';
import {
  MAX_API_VERSION,
  MIN_API_VERSION,
  negotiateApiVersion,
  parseApiVersion,
  splitVersionPrefix,
} from '../../guest/dockerd/api-version.js';
import { TSD_VERSION } from '../../guest/dockerd/engine-options.js';
import { HTTP_STATUS } from '../../guest/dockerd/error-table.js';
import { Router, matchPattern } from '../../guest/dockerd/router.js';
import { parseOsRelease } from '../../guest/dockerd/system-facts.js';

test('splitVersionPrefix separates /v1.xx from the path', (t) => {
  t.deepEqual(splitVersionPrefix('/v1.43/info'), { version: '1.43', rest: '/info' });
  t.deepEqual(splitVersionPrefix('/v1.24/containers/abc/json'), { version: '1.24', rest: '/containers/abc/json' });
  t.deepEqual(splitVersionPrefix('/info'), { rest: '/info' });
  t.deepEqual(splitVersionPrefix('/v1.40'), { version: '1.40', rest: '/' });
  // A path that merely starts with "v" is not a version.
  t.deepEqual(splitVersionPrefix('/volumes'), { rest: '/volumes' });
});

test('negotiateApiVersion accepts MIN..MAX and rejects the rest with invalid-argument', (t) => {
  t.deepEqual(negotiateApiVersion(undefined), parseApiVersion(MAX_API_VERSION));
  t.deepEqual(negotiateApiVersion('1.24'), { major: 1, minor: 24 });
  t.deepEqual(negotiateApiVersion(MAX_API_VERSION), parseApiVersion(MAX_API_VERSION));
  const tooNew = t.throws(() => negotiateApiVersion('1.99'), { instanceOf: TsdError });
  t.is(tooNew?.code, 'invalid-argument');
  t.regex(tooNew?.message ?? '', /too new/);
  t.regex(t.throws(() => negotiateApiVersion('1.23'))?.message ?? '', new RegExp(`Minimum supported API version is ${MIN_API_VERSION}`));
  t.throws(() => negotiateApiVersion('abc'), { message: /invalid API version/ });
});

test('parseApiVersion compares numerically, not as text', (t) => {
  t.deepEqual(parseApiVersion('1.9'), { major: 1, minor: 9 });
  t.is(parseApiVersion('1.9.1'), undefined);
  t.notThrows(() => negotiateApiVersion('1.30'));
});

test('matchPattern captures parameters and rejects different shapes', (t) => {
  t.deepEqual(matchPattern('/containers/{id}/json', '/containers/abc/json'), { id: 'abc' });
  t.deepEqual(matchPattern('/images/{name}/json', '/images/a%3Ab/json'), { name: 'a:b' });
  t.is(matchPattern('/containers/{id}/json', '/containers//json'), undefined);
  t.is(matchPattern('/containers/{id}/json', '/containers/abc'), undefined);
  t.deepEqual(matchPattern('/info', '/info'), {});
});

test('Router matches on method and tolerates a trailing slash', (t) => {
  const router = new Router();
  const get = () => undefined;
  const head = () => undefined;
  router.add('GET', '/_ping', get).add('HEAD', '/_ping', head);
  t.is(router.match('GET', '/_ping')?.route.handler, get);
  t.is(router.match('HEAD', '/_ping/')?.route.handler, head);
  t.is(router.match('POST', '/_ping'), undefined);
  t.is(router.match('GET', '/nope'), undefined);
});

test('the error table maps every code to an HTTP error status', (t) => {
  t.is(HTTP_STATUS['not-found'], 404);
  t.is(HTTP_STATUS['invalid-argument'], 400);
  t.is(HTTP_STATUS.conflict, 409);
  t.true(Object.values(HTTP_STATUS).every((status) => status >= 400 && status < 600));
});

test('parseOsRelease reads quoted and bare values', (t) => {
  const parsed = parseOsRelease('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nVERSION_ID="12"\nID=debian\n# comment\n');
  t.is(parsed.PRETTY_NAME, 'Debian GNU/Linux 12 (bookworm)');
  t.is(parsed.VERSION_ID, '12');
  t.is(parsed.ID, 'debian');
});

test('TSD_VERSION follows package.json', (t) => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  t.is(TSD_VERSION, pkg.version);
});
