import test from 'ava';
import { TsdError } from '../../guest/api/errors.js';
import { readTar, type TarEntry } from '../../guest/containerd/diff/tar-reader.js';
import { cleanEntryPath } from '../../guest/containerd/diff/safe-path.js';
import { detectCompression } from '../../guest/containerd/diff/compression.js';

/** A hand-made header: tests the reader against the format, not against another library. */
function header(fields: { name: string; type?: string; size?: number; linkname?: string; mode?: number; uid?: number; uidBase256?: bigint; prefix?: string; gnu?: boolean }): Buffer {
  const h = Buffer.alloc(512);
  h.write(fields.name, 0, 100, 'utf8');
  h.write(`${(fields.mode ?? 0o644).toString(8).padStart(7, '0')}\0`, 100);
  if (fields.uidBase256 !== undefined) {
    let value = fields.uidBase256;
    for (let i = 115; i > 108; i--) {
      h[i] = Number(value & 0xffn);
      value >>= 8n;
    }
    h[108] = 0x80;
  } else h.write(`${(fields.uid ?? 0).toString(8).padStart(7, '0')}\0`, 108);
  h.write('0000000\0', 116);
  h.write(`${(fields.size ?? 0).toString(8).padStart(11, '0')}\0`, 124);
  h.write('14000000000\0', 136);
  h.write(fields.type ?? '0', 156);
  if (fields.linkname) h.write(fields.linkname, 157, 100, 'utf8');
  h.write(fields.gnu ? 'ustar  \0' : 'ustar\x0000', 257, 'latin1');
  if (fields.prefix) h.write(fields.prefix, 345, 155, 'utf8');
  h.write('        ', 148);
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

function block(content: Buffer): Buffer {
  return Buffer.concat([content, Buffer.alloc((512 - (content.length % 512)) % 512)]);
}

function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  let length = body.length + 1;
  while (String(length).length + body.length !== length) length = String(length).length + body.length;
  return Buffer.concat([Buffer.from(String(length)), body]);
}

async function entries(archive: Buffer, chunk = 7): Promise<Array<TarEntry & { content: string }>> {
  const pieces = [];
  for (let i = 0; i < archive.length; i += chunk) pieces.push(archive.subarray(i, i + chunk));
  const out = [];
  for await (const { entry, body } of readTar((async function* () { yield* pieces; })())) {
    const chunks: Buffer[] = [];
    for await (const piece of body) chunks.push(piece);
    out.push({ ...entry, content: Buffer.concat(chunks).toString('utf8') });
  }
  return out;
}

const END = Buffer.alloc(1024);

test('ustar prefix, GNU long names and links, base-256 numbers, contents split across chunks', async (t) => {
  const long = `dir/${'n'.repeat(150)}`;
  const archive = Buffer.concat([
    header({ name: 'file.txt', prefix: 'some/prefix', size: 5 }), block(Buffer.from('hello')),
    header({ name: '././@LongLink', type: 'L', size: long.length + 1, gnu: true }), block(Buffer.from(`${long}\0`)),
    header({ name: long.slice(0, 99), size: 3, gnu: true }), block(Buffer.from('abc')),
    header({ name: '././@LongLink', type: 'K', size: long.length, gnu: true }), block(Buffer.from(long)),
    header({ name: 'hard', type: '1', gnu: true }),
    header({ name: 'big-uid', uidBase256: 3_000_000_000n }),
    END,
  ]);
  const read = await entries(archive);
  t.deepEqual(read.map((e) => [e.path, e.type, e.content]), [
    ['some/prefix/file.txt', 'file', 'hello'],
    [long, 'file', 'abc'],
    ['hard', 'hardlink', ''],
    ['big-uid', 'file', ''],
  ]);
  t.is(read[2]?.linkname, long);
  t.is(read[3]?.uid, 3_000_000_000);
  t.is(read[0]?.mtime.getTime(), 0o14000000000 * 1000);
});

test('PAX: path, size, uid, fractional mtime, binary xattrs, global headers; unread bodies are skipped', async (t) => {
  const binary = Buffer.from([0x01, 0x00, 0x00, 0x02, 0xff, 0xfe, 0x0a]);
  const pax = Buffer.concat([
    paxRecord('path', Buffer.from('very/long/päth')),
    paxRecord('uid', Buffer.from('4000000')),
    paxRecord('mtime', Buffer.from('1700000000.5')),
    paxRecord('SCHILY.xattr.security.capability', binary),
  ]);
  const global = paxRecord('gid', Buffer.from('77'));
  const archive = Buffer.concat([
    header({ name: 'pax_global_header', type: 'g', size: global.length }), block(global),
    header({ name: 'PaxHeaders/x', type: 'x', size: pax.length }), block(pax),
    header({ name: 'short', size: 4 }), block(Buffer.from('data')),
    header({ name: 'second', size: 600 }), block(Buffer.alloc(600, 0x61)),
    header({ name: 'third', type: '5', mode: 0o755 }),
    END, Buffer.alloc(8192),
  ]);
  const items = [];
  for await (const { entry } of readTar((async function* () { yield archive; })())) items.push(entry);
  t.deepEqual(items.map((e) => e.path), ['very/long/päth', 'second', 'third']);
  t.is(items[0]?.uid, 4_000_000);
  t.is(items[0]?.gid, 77);
  t.is(items[1]?.gid, 77, 'global PAX applies to every later entry');
  t.is(items[0]?.mtime.getTime(), 1_700_000_000_500);
  t.deepEqual(items[0]?.xattrs.get('security.capability'), binary);
  t.is(items[2]?.type, 'directory');
});

test('corrupt headers, truncation and unsupported entry types are clear errors', async (t) => {
  const bad = header({ name: 'x', size: 1 });
  bad[0] = 0x79;
  await t.throwsAsync(entries(Buffer.concat([bad, block(Buffer.from('x')), END])), { instanceOf: TsdError, message: /checksum mismatch/ });
  await t.throwsAsync(entries(Buffer.concat([header({ name: 'x', size: 1000 }), Buffer.alloc(100)])), { instanceOf: TsdError, message: /truncated/ });
  const sparse = await t.throwsAsync(entries(Buffer.concat([header({ name: 'sp', type: 'S' }), END])), { instanceOf: TsdError });
  t.is(sparse?.code, 'unsupported');
  t.regex(sparse?.message ?? '', /"sp" has unsupported type 'S'/);
});

test('entry paths are cleaned; climbing above the target is traversal', (t) => {
  t.deepEqual(cleanEntryPath('./a/b/'), ['a', 'b']);
  t.deepEqual(cleanEntryPath('/abs//x/./y'), ['abs', 'x', 'y']);
  t.deepEqual(cleanEntryPath('a/b/../c'), ['a', 'c']);
  t.deepEqual(cleanEntryPath('./'), []);
  for (const bad of ['..', '../x', 'a/../../x', '/../etc/passwd']) {
    const error = t.throws(() => cleanEntryPath(bad), { instanceOf: TsdError });
    t.is(error?.code, 'invalid-argument');
    t.regex(error?.message ?? '', /path traversal/);
  }
});

test('compression is detected by magic bytes', (t) => {
  t.is(detectCompression(Buffer.from([0x1f, 0x8b, 8, 0])), 'gzip');
  t.is(detectCompression(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0])), 'zstd');
  t.is(detectCompression(Buffer.from('file.txt\0\0\0')), 'none');
  t.throws(() => detectCompression(Buffer.from('BZh91AY')), { message: /bzip2/ });
  t.throws(() => detectCompression(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])), { message: /xz/ });
});
