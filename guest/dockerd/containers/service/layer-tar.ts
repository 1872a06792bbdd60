/**
 * The container's changes as an image layer (for `docker commit`): the overlay upper directory
 * written as a tar, whiteouts (char 0:0) as `.wh.<name>` and opaque directories as
 * `.wh..wh..opq`, the OCI layer conventions. ustar headers, with a PAX record for names or link
 * targets that do not fit.
 */
import { createReadStream, type Stats } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { lgetxattr } from '../../../containerd/diff/libc.js';

const BLOCK = 512;

function octal(value: number, length: number): string {
  return value.toString(8).padStart(length - 1, '0') + '\0';
}

function rawHeader(fields: { name: string; mode: number; uid: number; gid: number; size: number; mtime: number; type: string; link?: string; major?: number; minor?: number }): Buffer {
  const block = Buffer.alloc(BLOCK);
  const put = (offset: number, length: number, text: string): void => void block.write(text, offset, length, 'utf8');
  put(0, 100, fields.name);
  put(100, 8, octal(fields.mode & 0o7777, 8));
  put(108, 8, octal(fields.uid, 8));
  put(116, 8, octal(fields.gid, 8));
  put(124, 12, octal(fields.size, 12));
  put(136, 12, octal(Math.floor(fields.mtime), 12));
  put(148, 8, '        ');
  put(156, 1, fields.type);
  put(157, 100, fields.link ?? '');
  put(257, 6, 'ustar\0');
  put(263, 2, '00');
  put(329, 8, octal(fields.major ?? 0, 8));
  put(337, 8, octal(fields.minor ?? 0, 8));
  let sum = 0;
  for (const byte of block) sum += byte;
  put(148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  return block;
}

function pad(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

/** A PAX extended header for values ustar cannot hold. */
function paxHeader(records: Record<string, string>): Buffer[] {
  let body = '';
  for (const [key, value] of Object.entries(records)) {
    const line = ` ${key}=${value}\n`;
    let length = Buffer.byteLength(line) + 1;
    while (String(length).length + Buffer.byteLength(line) !== length) length = String(length).length + Buffer.byteLength(line);
    body += `${length}${line}`;
  }
  const data = Buffer.from(body);
  return [rawHeader({ name: 'PaxHeader', mode: 0o644, uid: 0, gid: 0, size: data.length, mtime: 0, type: 'x' }), data, pad(data.length)];
}

function header(name: string, info: Stats | undefined, type: string, size: number, link = ''): Buffer[] {
  const pax: Record<string, string> = {};
  if (Buffer.byteLength(name) > 100) pax.path = name;
  if (Buffer.byteLength(link) > 100) pax.linkpath = link;
  const rdev = info?.rdev ?? 0;
  const block = rawHeader({
    name: pax.path ? name.slice(0, 99) : name, mode: info?.mode ?? 0o644, uid: info?.uid ?? 0, gid: info?.gid ?? 0, size, mtime: (info?.mtimeMs ?? 0) / 1000, type,
    link: pax.linkpath ? '' : link, major: (rdev >> 8) & 0xfff, minor: (rdev & 0xff) | ((rdev >> 12) & 0xfff00),
  });
  return Object.keys(pax).length > 0 ? [...paxHeader(pax), block] : [block];
}

/** Tar of `upper` (paths in `skip` — "/etc/hosts"… — left out when they are new empty mount points). */
export async function* upperLayerTar(upper: string, skip: ReadonlySet<string>): AsyncGenerator<Buffer> {
  async function* walk(rel: string): AsyncGenerator<Buffer> {
    for (const name of (await readdir(join(upper, rel))).sort()) {
      const path = rel ? `${rel}/${name}` : name;
      const full = join(upper, path);
      const info = await lstat(full);
      if (skip.has(`/${path}`) && ((info.isFile() && info.size === 0) || info.isDirectory())) continue;
      if (info.isCharacterDevice() && info.rdev === 0) {
        yield* header(rel ? `${rel}/.wh.${name}` : `.wh.${name}`, undefined, '0', 0);
        continue;
      }
      if (info.isDirectory()) {
        yield* header(`${path}/`, info, '5', 0);
        if ((await lgetxattr(full, 'trusted.overlay.opaque').catch(() => undefined))?.toString() === 'y') yield* header(`${path}/.wh..wh..opq`, undefined, '0', 0);
        yield* walk(path);
      } else if (info.isSymbolicLink()) {
        yield* header(path, info, '2', 0, await readlink(full));
      } else if (info.isFile()) {
        yield* header(path, info, '0', info.size);
        let written = 0;
        for await (const chunk of createReadStream(full) as AsyncIterable<Buffer>) {
          const part = written + chunk.length > info.size ? chunk.subarray(0, info.size - written) : chunk;
          written += part.length;
          yield part;
        }
        if (written < info.size) yield Buffer.alloc(info.size - written); // the file shrank while read
        yield pad(info.size);
      } else if (info.isCharacterDevice() || info.isBlockDevice() || info.isFIFO()) {
        yield* header(path, info, info.isCharacterDevice() ? '3' : info.isBlockDevice() ? '4' : '6', 0);
      }
    }
  }
  yield* walk('');
  yield Buffer.alloc(BLOCK * 2);
}
