/** Builds layer tars in memory for tests, with tar-stream (an independent tar writer). */
import { pack, type Headers } from 'tar-stream';
import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';

export interface TestEntry extends Partial<Omit<Headers, 'name'>> {
  name: string;
  content?: string | Buffer;
  /** PAX records (tar-stream writes them; its types do not declare the field). */
  pax?: Record<string, string>;
}

export async function buildTar(entries: TestEntry[]): Promise<Buffer> {
  const archive = pack();
  const chunks: Buffer[] = [];
  archive.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    archive.on('end', resolve);
    archive.on('error', reject);
  });
  for (const { content, ...header } of entries) {
    const body = typeof content === 'string' ? Buffer.from(content) : content;
    const type = header.type ?? 'file';
    await new Promise<void>((resolve, reject) => {
      archive.entry({ mtime: new Date(1_700_000_000_000), mode: type === 'directory' ? 0o755 : 0o644, uid: 0, gid: 0, ...header, type }, type === 'file' ? (body ?? Buffer.alloc(0)) : undefined, (error) => (error ? reject(error) : resolve()));
    });
  }
  archive.finalize();
  await done;
  return Buffer.concat(chunks);
}

export function gzip(tar: Buffer): Buffer {
  return gzipSync(tar);
}

export function zstd(tar: Buffer): Buffer {
  const result = spawnSync('zstd', ['-c', '-q'], { input: tar, maxBuffer: 1 << 30 });
  if (result.status !== 0) throw new Error(`zstd failed: ${result.stderr.toString()}`);
  return result.stdout;
}
