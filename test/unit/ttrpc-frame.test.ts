import test from 'ava';
import { encodeFrame, FrameDecoder, HEADER_LENGTH, MAX_MESSAGE_LENGTH, MessageType, type Decoded } from '../../guest/ttrpc/frame.js';

function frames(items: Decoded[]) {
  return items.map((item) => (item.kind === 'frame' ? { ...item.frame, data: item.frame.data.toString() } : item));
}

test('header layout: length, stream id (big endian), type, flags', (t) => {
  const frame = encodeFrame(0x01020304, MessageType.Request, 0x02, Buffer.from('abc'));
  t.deepEqual([...frame.subarray(0, HEADER_LENGTH)], [0, 0, 0, 3, 1, 2, 3, 4, 1, 2]);
  t.is(frame.subarray(HEADER_LENGTH).toString(), 'abc');
});

test('a frame split at every byte boundary comes out whole, once', (t) => {
  const frame = encodeFrame(7, MessageType.Response, 0, Buffer.from('hello ttrpc'));
  for (let cut = 1; cut < frame.length; cut++) {
    const decoder = new FrameDecoder();
    const first = decoder.push(frame.subarray(0, cut));
    t.deepEqual(first, [], `nothing before the frame is complete (cut ${cut})`);
    t.deepEqual(frames(decoder.push(frame.subarray(cut))), [{ streamId: 7, type: 2, flags: 0, data: 'hello ttrpc' }]);
  }
});

test('several frames in one chunk, including an empty one, in order', (t) => {
  const chunk = Buffer.concat([
    encodeFrame(1, MessageType.Request, 0, Buffer.from('one')),
    encodeFrame(3, MessageType.Request, 0, Buffer.alloc(0)),
    encodeFrame(5, MessageType.Data, 1, Buffer.from('three')),
  ]);
  const decoder = new FrameDecoder();
  t.deepEqual(frames(decoder.push(chunk)), [
    { streamId: 1, type: 1, flags: 0, data: 'one' },
    { streamId: 3, type: 1, flags: 0, data: '' },
    { streamId: 5, type: 3, flags: 1, data: 'three' },
  ]);
});

test('one byte at a time', (t) => {
  const chunk = Buffer.concat([encodeFrame(1, MessageType.Request, 0, Buffer.from('a')), encodeFrame(3, MessageType.Request, 0, Buffer.from('bc'))]);
  const decoder = new FrameDecoder();
  const out: Decoded[] = [];
  for (const byte of chunk) out.push(...decoder.push(Buffer.from([byte])));
  t.deepEqual(frames(out).map((f) => ('data' in f ? f.data : '')), ['a', 'bc']);
});

test('an oversized frame is reported by its header, its data skipped, and the next frame still decodes', (t) => {
  const length = MAX_MESSAGE_LENGTH + 1;
  const header = Buffer.alloc(HEADER_LENGTH);
  header.writeUInt32BE(length, 0);
  header.writeUInt32BE(9, 4);
  header.writeUInt8(MessageType.Request, 8);
  const decoder = new FrameDecoder();
  const body = Buffer.alloc(length, 0x61);
  // The body arrives in pieces, the next frame glued to its last piece.
  const next = encodeFrame(11, MessageType.Request, 0, Buffer.from('after'));
  const first = decoder.push(Buffer.concat([header, body.subarray(0, 1000)]));
  t.deepEqual(first, [{ kind: 'oversize', streamId: 9, type: 1, length }]);
  t.deepEqual(decoder.push(body.subarray(1000, length - 10)), []);
  t.deepEqual(frames(decoder.push(Buffer.concat([body.subarray(length - 10), next]))), [{ streamId: 11, type: 1, flags: 0, data: 'after' }]);
});

test('the maximum length itself is accepted', (t) => {
  const data = Buffer.alloc(MAX_MESSAGE_LENGTH, 1);
  const decoder = new FrameDecoder();
  const out = decoder.push(encodeFrame(1, MessageType.Request, 0, data));
  t.is(out.length, 1);
  t.is(out[0]!.kind, 'frame');
});
