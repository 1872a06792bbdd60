// Pure logic of container options: log attributes (--details), and what the other options parse.
import test from 'ava';
import { detailsPrefix, extraAttributes, validateLogOptions } from '../../guest/dockerd/containers/io/log-attrs.js';

const source = { id: 'a'.repeat(64), name: 'web', imageName: 'busybox', imageId: 'sha256:' + 'b'.repeat(64), labels: { app: 'x y', 'com.z': '1' }, env: ['A=1', 'B=two=2', 'NOVALUE'] };

test('extra attributes: listed labels and env, regexes, tag template fields', (t) => {
  t.deepEqual(extraAttributes({ labels: 'app,missing', env: 'B,NOVALUE' }, source), { app: 'x y', B: 'two=2' });
  t.deepEqual(extraAttributes({ 'labels-regex': '^com\\.', 'env-regex': '^A$' }, source), { 'com.z': '1', A: '1' });
  t.deepEqual(extraAttributes({ tag: '{{.Name}}/{{.ID}}/{{.ImageID}}/{{.Nope}}' }, source), { tag: `web/${'a'.repeat(12)}/${'b'.repeat(12)}/{{.Nope}}` });
  t.deepEqual(extraAttributes({}, source), {});
});

test('details prefix: sorted bytewise, Go query escaping, a space even when empty', (t) => {
  t.is(detailsPrefix({ b: 'x y', A: "it's/1", a: '~ok' }), 'A=it%27s%2F1,a=~ok,b=x+y ');
  t.is(detailsPrefix(undefined), ' ');
});

test('log options: unknown keys and bad regexes are refused; other drivers are not checked here', (t) => {
  t.throws(() => validateLogOptions('json-file', { colour: 'blue' }), { message: "unknown log opt 'colour' for json-file log driver" });
  t.throws(() => validateLogOptions('json-file', { 'labels-regex': '[' }), { message: /^error parsing regexp/ });
  t.notThrows(() => validateLogOptions('json-file', { 'max-size': '10m', labels: 'a' }));
  t.notThrows(() => validateLogOptions('none', { anything: '1' }));
});
