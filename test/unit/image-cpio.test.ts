import test from 'ava';
import { createHash } from 'node:crypto';
import { cpioStream, FIXED_MTIME } from '../../src/image/cpio.js';
import { ImageTree } from '../../src/image/tree.js';

interface Parsed {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  ino: number;
  body: string;
}

/** Reads newc headers back (the format is specified in the kernel's buffer-format.rst). */
function parseNewc(archive: Buffer): Parsed[] {
  const entries: Parsed[] = [];
  let offset = 0;
  const align = (n: number): number => (n + 3) & ~3;
  for (;;) {
    if (archive.toString('ascii', offset, offset + 6) !== '070701') throw new Error(`bad magic at ${offset}`);
    const field = (i: number): number => parseInt(archive.toString('ascii', offset + 6 + i * 8, offset + 14 + i * 8), 16);
    const nameSize = field(11);
    const size = field(6);
    const name = archive.toString('utf8', offset + 110, offset + 110 + nameSize - 1);
    const bodyStart = align(offset + 110 + nameSize);
    if (name === 'TRAILER!!!') return entries;
    entries.push({
      name,
      ino: field(0),
      mode: field(1),
      uid: field(2),
      gid: field(3),
      mtime: field(5),
      body: archive.toString('utf8', bodyStart, bodyStart + size),
    });
    offset = align(bodyStart + size);
  }
}

async function archive(tree: ImageTree): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of cpioStream(tree)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function sampleTree(order: 'forward' | 'reverse'): ImageTree {
  const tree = new ImageTree();
  const adds: Array<(t: ImageTree) => void> = [
    (t) => t.addData('/usr/bin/node', 'node-binary', 0o755),
    (t) => t.addSymlink('/bin/sh', '/bin/busybox'),
    (t) => t.addData('/bin/busybox', 'busybox-binary', 0o755),
    (t) => t.addData('/bin-extra/tool', 'x'),
    (t) => t.addData('/init', '#!/bin/sh\n', 0o755),
    (t) => t.add('/tmp', { kind: 'directory', mode: 0o1777 }),
    (t) => t.add('/dev/console', { kind: 'chardev', mode: 0o600, major: 5, minor: 1 }),
  ];
  for (const add of order === 'forward' ? adds : [...adds].reverse()) add(tree);
  return tree;
}

test('entries come sorted with parents first, owned by root, with one fixed mtime', async (t) => {
  const entries = parseNewc(await archive(sampleTree('forward')));
  t.deepEqual(
    entries.map((e) => e.name),
    ['bin', 'bin-extra', 'bin-extra/tool', 'bin/busybox', 'bin/sh', 'dev', 'dev/console', 'init', 'tmp', 'usr', 'usr/bin', 'usr/bin/node'],
  );
  t.true(entries.every((e) => e.uid === 0 && e.gid === 0 && e.mtime === FIXED_MTIME.getTime() / 1000));
  t.deepEqual(entries.map((e) => e.ino), entries.map((_, i) => i + 1));
  const byName = new Map(entries.map((e) => [e.name, e]));
  t.is(byName.get('bin/sh')!.mode, 0o120777);
  t.is(byName.get('bin/sh')!.body, '/bin/busybox');
  t.is(byName.get('usr/bin/node')!.mode, 0o100755);
  t.is(byName.get('usr/bin/node')!.body, 'node-binary');
  t.is(byName.get('tmp')!.mode, 0o41777);
  t.is(byName.get('dev/console')!.mode, 0o20600);
  t.is(byName.get('usr')!.mode, 0o40755);
});

test('the same entries added in any order give the same bytes', async (t) => {
  const digest = async (tree: ImageTree): Promise<string> => createHash('sha256').update(await archive(tree)).digest('hex');
  t.is(await digest(sampleTree('forward')), await digest(sampleTree('reverse')));
});

test('a path given twice is a conflict', (t) => {
  const tree = new ImageTree();
  tree.addData('/etc/hosts', 'a');
  t.throws(() => tree.addData('/etc/hosts', 'b'), { message: /\/etc\/hosts is provided twice/ });
});

test('non-ASCII paths are refused (cpio-stream would size their names wrongly)', (t) => {
  const tree = new ImageTree();
  t.throws(() => tree.addData('/usr/share/Főtanúsítvány.crt', 'x'), { message: /not printable ASCII/ });
});
