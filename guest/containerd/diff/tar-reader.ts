/**
 * A streaming tar reader for image layers: POSIX ustar, PAX extended headers (local and global,
 * values kept as bytes so binary `SCHILY.xattr.*` survive), GNU long names and links, base-256
 * numbers. Each entry's body must be consumed (or is skipped) before the next entry is read.
 */
import { TsdError } from '../../api/errors.js';

export type TarEntryType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'directory' | 'fifo';

export interface TarEntry {
  type: TarEntryType;
  path: string;
  linkname: string;
  /** Permission bits including setuid/setgid/sticky (mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: Date;
  atime?: Date;
  devmajor: number;
  devminor: number;
  /** From PAX `SCHILY.xattr.<name>` records. */
  xattrs: Map<string, Buffer>;
}

const BLOCK = 512;
const TYPES: Record<string, TarEntryType> = {
  '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '3': 'char', '4': 'block', '5': 'directory', '6': 'fifo',
};

/** Pulls exact byte counts from an async chunk source. */
class ByteSource {
  readonly #iterator: AsyncIterator<Buffer>;
  #pending: Buffer = Buffer.alloc(0);
  #ended = false;

  constructor(source: AsyncIterable<Buffer>) {
    this.#iterator = source[Symbol.asyncIterator]();
  }

  /** Exactly `n` bytes, or undefined at a clean end of input; a partial read is truncation. */
  async read(n: number): Promise<Buffer | undefined> {
    while (this.#pending.length < n && (await this.#fill())) {}
    if (this.#pending.length === 0 && this.#ended) return undefined;
    if (this.#pending.length < n) throw truncated();
    const out = this.#pending.subarray(0, n);
    this.#pending = this.#pending.subarray(n);
    return out;
  }

  /** Yields the next `n` bytes as they arrive. */
  async *take(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.#pending.length === 0 && !(await this.#fill())) throw truncated();
      const chunk = this.#pending.subarray(0, left);
      this.#pending = this.#pending.subarray(chunk.length);
      left -= chunk.length;
      yield chunk;
    }
  }

  async skip(n: number): Promise<void> {
    for await (const chunk of this.take(n)) void chunk;
  }

  /** Reads to the end of input (tar padding after the end blocks). */
  async drain(): Promise<void> {
    this.#pending = Buffer.alloc(0);
    while (await this.#fill()) this.#pending = Buffer.alloc(0);
  }

  async #fill(): Promise<boolean> {
    if (this.#ended) return false;
    const next = await this.#iterator.next();
    if (next.done) {
      this.#ended = true;
      return false;
    }
    this.#pending = this.#pending.length === 0 ? next.value : Buffer.concat([this.#pending, next.value]);
    return true;
  }
}

function truncated(): TsdError {
  return new TsdError('invalid-argument', 'layer tar is truncated (unexpected end of data)');
}

export interface TarItem {
  entry: TarEntry;
  /** The entry's content; read it fully or leave it (the reader skips what is left). */
  body: AsyncIterable<Buffer>;
}

/** Reads entries until the end-of-archive blocks, then drains the input (so a digest of it is whole). */
export async function* readTar(input: AsyncIterable<Buffer>): AsyncGenerator<TarItem> {
  const source = new ByteSource(input);
  let globalPax = new Map<string, Buffer>();
  let pax = new Map<string, Buffer>();
  let longName: string | undefined;
  let longLink: string | undefined;
  for (;;) {
    const header = await source.read(BLOCK);
    if (!header || header.every((byte) => byte === 0)) break;
    verifyChecksum(header);
    const flag = String.fromCharCode(header[156] ?? 0);
    const size = numberField(header, 124, 12);
    const padded = Math.ceil(size / BLOCK) * BLOCK;
    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      const data = await source.read(padded);
      if (!data) throw truncated();
      const content = data.subarray(0, size);
      if (flag === 'x') pax = parsePax(content);
      else if (flag === 'g') globalPax = new Map([...globalPax, ...parsePax(content)]);
      else if (flag === 'L') longName = cString(content);
      else longLink = cString(content);
      continue;
    }
    const type = TYPES[flag];
    if (!type) throw new TsdError('unsupported', `layer tar entry "${headerName(header)}" has unsupported type '${flag}'`);
    const records = new Map([...globalPax, ...pax]);
    const entry = toEntry(header, type, records, longName, longLink);
    pax = new Map();
    longName = undefined;
    longLink = undefined;
    // Only regular files carry content; a size on links or devices is ignored, as tar does.
    const bodySize = type === 'file' ? entry.size : 0;
    const bodyPadded = type === 'file' ? Math.ceil(entry.size / BLOCK) * BLOCK : padded;
    let consumed = 0;
    const body = (async function* () {
      for await (const chunk of source.take(bodySize)) {
        consumed += chunk.length;
        yield chunk;
      }
    })();
    yield { entry, body };
    await source.skip(bodySize - consumed);
    await source.skip(bodyPadded - bodySize);
  }
  await source.drain();
}

function toEntry(header: Buffer, type: TarEntryType, pax: Map<string, Buffer>, longName?: string, longLink?: string): TarEntry {
  const text = (key: string): string | undefined => pax.get(key)?.toString('utf8');
  const num = (key: string, fallback: number): number => {
    const value = text(key);
    return value === undefined ? fallback : Number(value);
  };
  const xattrs = new Map<string, Buffer>();
  for (const [key, value] of pax) if (key.startsWith('SCHILY.xattr.')) xattrs.set(key.slice('SCHILY.xattr.'.length), value);
  const mtime = num('mtime', numberField(header, 136, 12));
  const atime = text('atime');
  const entry: TarEntry = {
    type,
    path: text('path') ?? longName ?? headerName(header),
    linkname: text('linkpath') ?? longLink ?? cString(header.subarray(157, 257)),
    mode: numberField(header, 100, 8) & 0o7777,
    uid: num('uid', numberField(header, 108, 8)),
    gid: num('gid', numberField(header, 116, 8)),
    size: num('size', numberField(header, 124, 12)),
    mtime: new Date(mtime * 1000),
    devmajor: numberField(header, 329, 8),
    devminor: numberField(header, 337, 8),
    xattrs,
  };
  if (atime !== undefined) entry.atime = new Date(Number(atime) * 1000);
  return entry;
}

function headerName(header: Buffer): string {
  const name = cString(header.subarray(0, 100));
  // POSIX ustar has a prefix field; GNU tar uses those bytes for other things.
  const posix = header.subarray(257, 263).toString('latin1') === 'ustar\0';
  const prefix = posix ? cString(header.subarray(345, 500)) : '';
  return prefix ? `${prefix}/${name}` : name;
}

function cString(bytes: Buffer): string {
  const end = bytes.indexOf(0);
  return bytes.subarray(0, end === -1 ? bytes.length : end).toString('utf8');
}

/** Octal text, or base-256 when the high bit of the first byte is set (GNU, for large values). */
function numberField(header: Buffer, offset: number, length: number): number {
  const field = header.subarray(offset, offset + length);
  if (((field[0] ?? 0) & 0x80) !== 0) {
    let value = (field[0] ?? 0) & 0x7f;
    for (let i = 1; i < field.length; i++) value = value * 256 + (field[i] ?? 0);
    return value;
  }
  const text = field.toString('latin1').replace(/[\0 ]+.*$/s, '').trim();
  return text === '' ? 0 : parseInt(text, 8);
}

function verifyChecksum(header: Buffer): void {
  const stored = numberField(header, 148, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : (header[i] ?? 0);
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  if (stored !== unsigned && stored !== signed) {
    throw new TsdError('invalid-argument', 'layer tar has a corrupt header (checksum mismatch): not a tar, or damaged');
  }
}

/** PAX records: "<length> <key>=<value>\n", length counting the whole record; values stay bytes. */
function parsePax(content: Buffer): Map<string, Buffer> {
  const records = new Map<string, Buffer>();
  let offset = 0;
  while (offset < content.length) {
    const space = content.indexOf(0x20, offset);
    if (space === -1) break;
    const length = parseInt(content.subarray(offset, space).toString('latin1'), 10);
    if (!Number.isFinite(length) || length <= 0 || offset + length > content.length) {
      throw new TsdError('invalid-argument', 'layer tar has a malformed PAX header');
    }
    const record = content.subarray(space + 1, offset + length - 1);
    const equals = record.indexOf(0x3d);
    if (equals > 0) records.set(record.subarray(0, equals).toString('utf8'), Buffer.from(record.subarray(equals + 1)));
    offset += length;
  }
  return records;
}
