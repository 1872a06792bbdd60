import test from 'ava';
import { TsdError } from '../../guest/api/errors.js';
import { anyFilter, parseFilter, type FieldLookup } from '../../guest/containerd/content/filters.js';

const fields: Record<string, string> = {
  digest: 'sha256:abc',
  size: '42',
  'labels.containerd.io/gc.ref.content.l.0': 'sha256:def',
  'labels.app': 'web',
};
const lookup: FieldLookup = (path) => fields[path[0] === 'labels' ? `labels.${path.slice(1).join('.')}` : path.join('.')];

test('equality, inequality, regex and presence', (t) => {
  t.true(parseFilter('digest==sha256:abc')(lookup));
  t.false(parseFilter('digest==sha256:abd')(lookup));
  t.true(parseFilter('digest!=sha256:abd')(lookup));
  t.true(parseFilter('digest~=^sha256:a')(lookup));
  t.false(parseFilter('digest~=^sha512')(lookup));
  t.true(parseFilter('labels.app')(lookup));
  t.false(parseFilter('labels.missing')(lookup));
});

test('quoted label keys with dots and quoted values', (t) => {
  t.true(parseFilter('labels."containerd.io/gc.ref.content.l.0"==sha256:def')(lookup));
  t.true(parseFilter('labels."app"=="web"')(lookup));
  t.true(parseFilter('labels."containerd.io/gc.ref.content.l.0"')(lookup));
});

test('comma is AND, several filters are OR, none is everything', (t) => {
  t.true(parseFilter('labels.app==web,size==42')(lookup));
  t.false(parseFilter('labels.app==web,size==43')(lookup));
  t.true(anyFilter(['size==43', 'labels.app==web'])(lookup));
  t.false(anyFilter(['size==43', 'labels.app==db'])(lookup));
  t.true(anyFilter([])(lookup));
});

test('malformed filters are invalid-argument', (t) => {
  for (const bad of ['labels."open', 'digest=x', 'digest~=(', '==x']) {
    const error = t.throws(() => parseFilter(bad), { instanceOf: TsdError }, bad);
    t.is(error?.code, 'invalid-argument');
  }
});
