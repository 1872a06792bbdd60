// Pure parts of the Engine API client: stdcopy frames, JSON progress, version negotiation, errors.
import test from 'ava';
import { negotiateApiVersion } from '../../src/engine-client/api-version.js';
import { engineError } from '../../src/engine-client/engine-errors.js';
import { JsonMessageReader, ProgressDisplay } from '../../src/engine-client/json-progress.js';
import { StdcopyDemuxer, stdcopyFrame } from '../../src/engine-client/stdcopy.js';

test('stdcopy frames split across chunks come out whole and in order', (t) => {
  const bytes = Buffer.concat([stdcopyFrame('stdout', 'hello '), stdcopyFrame('stderr', 'oops'), stdcopyFrame('stdout', Buffer.alloc(0)), stdcopyFrame('stdout', 'world')]);
  const demux = new StdcopyDemuxer();
  const frames = [];
  for (let i = 0; i < bytes.length; i += 3) frames.push(...demux.push(bytes.subarray(i, i + 3)));
  t.deepEqual(
    frames.map((frame) => [frame.stream, frame.payload.toString()]),
    [['stdout', 'hello '], ['stderr', 'oops'], ['stdout', ''], ['stdout', 'world']],
  );
  t.is(demux.leftover, 0);
});

test('a stdcopy header with an unknown stream is an error, a partial frame is kept', (t) => {
  const demux = new StdcopyDemuxer();
  t.deepEqual(demux.push(stdcopyFrame('stdout', 'abc').subarray(0, 9)), []);
  t.is(demux.leftover, 9);
  t.throws(() => new StdcopyDemuxer().push(Buffer.from([7, 0, 0, 0, 0, 0, 0, 0])), { message: /stream type 7/ });
});

test('progress: on a terminal each layer keeps its line; elsewhere no progress bars', (t) => {
  const reader = new JsonMessageReader();
  const messages = reader.push(
    '{"status":"Pulling from library/busybox","id":"latest"}\n{"status":"Pulling fs layer","id":"aaa"}\r\n' +
      '{"status":"Pulling fs layer","id":"bbb"}\n{"status":"Downloading","progress":"[==>  ] 1kB/2kB","id":"aaa"}\n{"status":"Pull comp',
  );
  t.is(messages.length, 4);
  messages.push(...reader.push('lete","id":"aaa"}\n'), ...reader.end());
  const tty = new ProgressDisplay(true);
  const out = messages.map((message) => tty.render(message));
  t.is(out[0], 'latest: Pulling from library/busybox\n');
  t.is(out[3], '\x1b[2A\x1b[2K\raaa: Downloading [==>  ] 1kB/2kB\x1b[2B\r');
  const plain = new ProgressDisplay(false);
  t.deepEqual(
    messages.map((message) => plain.render(message)),
    ['latest: Pulling from library/busybox\n', 'aaa: Pulling fs layer\n', 'bbb: Pulling fs layer\n', '', 'aaa: Pull complete\n'],
  );
  t.is(plain.render({ error: 'x', errorDetail: { message: 'x' } }), '');
  t.throws(() => new JsonMessageReader().push('not json\n'), { message: /not JSON/ });
});

test('the API version is the lower of the daemon\'s and ours', (t) => {
  t.is(negotiateApiVersion('1.41'), '1.41');
  t.is(negotiateApiVersion('1.51'), '1.44');
  t.is(negotiateApiVersion(undefined), '1.44');
  t.is(negotiateApiVersion('1.9'), '1.9');
});

test('engine errors keep the daemon\'s message and map the status to a code', (t) => {
  const missing = engineError(404, '{"message":"No such container: x"}');
  t.is(missing.code, 'not-found');
  t.is(missing.message, 'No such container: x');
  t.is(missing.status, 404);
  t.is(engineError(409, '{"message":"in use"}').code, 'conflict');
  t.is(engineError(500, 'plain text\n').message, 'plain text');
  t.is(engineError(502, '').code, 'internal');
});
